"""Sign-off: a plan submitted to the organisation that signs it off, its staff's decisions, and
what follows an agreed plan (reviews, package changes).

The rules, one module a feature: `submitting`, `staff_decisions`, `overview` (where a plan is
and what comes next), `version_history`, `work_trays`, `requests` (reviews), `changes` and
`package` (package changes), `outcome_decisions`, `tolerance_settings`, `allocation`,
`withdrawal` (taking back the consent submitting gave); `transitions` is what every decision
does around its rule. Pure rules: `tolerance`, `redact`; limits said once: `limits`. Every
query is in `repository/`.
"""
