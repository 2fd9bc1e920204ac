"""Sign-off as a small explicit state machine: the states, and which transition leads where.

Every state change of a plan goes through `next_state`; a transition that is not allowed from
the plan's state is `IllegalTransition` (409, naming the current state), never a silent no-op.
Who may make each transition is the access decision's (`portal.consent.policy.decide`, with
the permission listed here); the rules about money and content are the service's.

- draft → submitted: the person (or someone who speaks for them) submits; every criterion met.
- submitted or plan_authorised → submitted: they submit again after changing the plan.
- submitted → plan_authorised: a plan authoriser of the organisation it was submitted to.
- plan_authorised → agreed: a budget authoriser, within their spending limit.
- submitted or plan_authorised → draft: returned, with comments, by the one deciding.
- agreed → draft: a change to an agreed plan starts a new draft (the agreed version stays
  the active plan until another is agreed); starting a review does the same.
- any state → draft: the person (or who speaks for them with the power to share) withdraws
  the consent that submitting gave. The service refuses it when nothing is shared for sign-off
  (a draft with no agreed version); see `portal.signoff.withdrawal`.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from portal.consent.policy import Permission
from portal.core.errors import Conflict


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PLAN_AUTHORISED = "plan_authorised"
    AGREED = "agreed"


class Transition(StrEnum):
    SUBMIT = "submit"
    RESUBMIT = "resubmit"
    AUTHORISE_PLAN = "authorise_plan"
    AUTHORISE_BUDGET = "authorise_budget"
    RETURN = "return"
    AMEND = "amend"
    START_REVIEW = "start_review"
    WITHDRAW_CONSENT = "withdraw_consent"


class Rule(msgspec.Struct, frozen=True):
    sources: frozenset[State]
    target: State
    permission: Permission
    words: str


RULES: dict[Transition, Rule] = {
    Transition.SUBMIT: Rule(
        frozenset({State.DRAFT}), State.SUBMITTED, Permission.PLAN_SUBMIT, "submit the plan"
    ),
    Transition.RESUBMIT: Rule(
        frozenset({State.SUBMITTED, State.PLAN_AUTHORISED}),
        State.SUBMITTED,
        Permission.PLAN_SUBMIT,
        "submit the plan again",
    ),
    Transition.AUTHORISE_PLAN: Rule(
        frozenset({State.SUBMITTED}),
        State.PLAN_AUTHORISED,
        Permission.PLAN_AUTHORISE,
        "authorise the plan",
    ),
    Transition.AUTHORISE_BUDGET: Rule(
        frozenset({State.PLAN_AUTHORISED}),
        State.AGREED,
        Permission.BUDGET_AUTHORISE,
        "authorise the budget",
    ),
    Transition.RETURN: Rule(
        frozenset({State.SUBMITTED, State.PLAN_AUTHORISED}),
        State.DRAFT,
        Permission.PLAN_RETURN,
        "return the plan",
    ),
    Transition.AMEND: Rule(
        frozenset({State.AGREED}), State.DRAFT, Permission.PLAN_VIEW, "change the agreed plan"
    ),
    Transition.START_REVIEW: Rule(
        frozenset({State.AGREED}), State.DRAFT, Permission.REVIEW_START, "start a review"
    ),
    Transition.WITHDRAW_CONSENT: Rule(
        frozenset(State),
        State.DRAFT,
        Permission.PLAN_WITHDRAW_CONSENT,
        "withdraw consent to share the plan for sign-off",
    ),
}

STATE_WORDS: dict[State, str] = {
    State.DRAFT: "Draft",
    State.SUBMITTED: "Submitted: awaiting plan authorisation",
    State.PLAN_AUTHORISED: "Plan authorised: awaiting budget authorisation",
    State.AGREED: "Agreed",
}


class IllegalTransition(Conflict):
    def __init__(self, transition: Transition, state: State) -> None:
        super().__init__(
            "Not possible now",
            f"You cannot {RULES[transition].words} while it is "
            f"'{STATE_WORDS[state].split(':')[0].lower()}'. "
            "Reload the plan to see where it is now.",
            current_state=state.value,
        )


def allowed_from(state: State) -> list[Transition]:
    """The transitions open from a state, in the order they are listed above."""
    return [t for t, rule in RULES.items() if state in rule.sources]


def next_state(state: State | str, transition: Transition) -> State:
    """Where this transition leads from this state; 409 when it is not open from here."""
    current = State(state)
    rule = RULES[transition]
    if current not in rule.sources:
        raise IllegalTransition(transition, current)
    return rule.target
