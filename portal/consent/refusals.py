"""What a refused grant, invitation or representative record says: what the actor may do.

The decision is `policy.decide_share` and friends; these turn its reason into a 403 problem a
person can act on ("You can share only About me, with view access, because ..."), naming the
field the refusal is about so a form can show it there.
"""

from __future__ import annotations

from collections.abc import Iterable

from portal.consent.policy import ACCESS_RANK, Access, Grantable, Refusal, ShareDecision
from portal.core.errors import DomainError, FieldError, Forbidden
from portal.core.sections import SECTION_KEYS, SECTION_TITLES


def _and(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def titles(keys: Iterable[str]) -> str:
    return _and([SECTION_TITLES.get(key, key) for key in keys])


_ACCESS_WORDS = {
    Access.VIEW: "view access",
    Access.COMMENT: "up to comment access",
    Access.EDIT: "up to edit access",
}


def scope_words(scope: dict[str, Access]) -> str:
    """What a representative may give, as "About me, with view access, and Money, with up to
    edit access"."""
    groups: dict[Access, list[str]] = {}
    for key, access in scope.items():
        groups.setdefault(access, []).append(key)
    return _and(
        [f"{titles(keys)}, with {_ACCESS_WORDS[access]}" for access, keys in groups.items()]
    )


_YOUR_RECORD = "because that is what was recorded for you as someone who speaks for the person"


def share_refusal(decision: ShareDecision, doing: str, who_field: str) -> DomainError:
    """The 403 for a grant or invitation beyond the actor's scope, saying what they may do."""
    if decision.refusal == Refusal.TO_THEMSELVES:
        return Forbidden(
            "Not to yourself",
            "You cannot share the plan with yourself or an organisation you work for: what you "
            "may see and do is what was recorded for you. Ask the person to change your record "
            "if you need more, and choose somebody else here.",
            errors=[FieldError(who_field, "Choose somebody else")],
        )
    if decision.refusal == Refusal.CANNOT_SHARE:
        return Forbidden(
            "Not allowed",
            "What was recorded for you does not include choosing who sees the plan. Ask the "
            "person whose plan this is to share it.",
        )
    may = f"You can {doing} only {scope_words(decision.scope)}, {_YOUR_RECORD}."
    if decision.outside:
        sections = list(decision.outside)
        them = "them" if len(sections) > 1 else "it"
        return Forbidden(
            "More than you may share",
            f"{may} {titles(sections)} {'are' if len(sections) > 1 else 'is'} not yours to "
            f"share: remove {them}, or ask the person to share {them}.",
            errors=[FieldError("sections", "Choose only sections you may share")],
        )
    lowest = min((decision.scope[key] for key in decision.too_high), key=ACCESS_RANK.__getitem__)
    return Forbidden(
        "More than you may share",
        f"{may} Choose {_ACCESS_WORDS[lowest].replace('up to ', '')} or less for "
        f"{titles(decision.too_high)}.",
        errors=[FieldError("access", "Choose an access you may give")],
    )


def grant_change_refusal(
    decision: ShareDecision, current: Grantable, *, holds_current: bool
) -> DomainError:
    """The 403 for changing or stopping a grant: beyond them already, or becoming so."""
    if holds_current:
        return share_refusal(decision, "share", "sections")
    if decision.refusal == Refusal.TO_THEMSELVES:
        detail = (
            "This is sharing with you (or an organisation you work for): only the person can "
            "change or stop it."
        )
    else:
        detail = (
            f"This sharing covers {titles(k for k in SECTION_KEYS if k in current.sections)} "
            f"with {current.access.value} access, which is more than you may share, so only the "
            "person (or someone whose record covers all of it) can change or stop it."
        )
        if decision.scope:
            detail += f" You can share only {scope_words(decision.scope)}."
    return Forbidden("Not yours to change", detail)


def acceptance_refusal(decision: ShareDecision, offered: Grantable) -> DomainError:
    """The 403 for an invitation its sender may no longer give, or would give to themselves."""
    if decision.refusal == Refusal.TO_THEMSELVES:
        detail = (
            "You made this invitation yourself, and you cannot share the plan with yourself. "
            "Send the link to the person you want to help."
        )
    else:
        detail = (
            f"The person who sent this invitation may no longer share what it offers "
            f"({titles(k for k in SECTION_KEYS if k in offered.sections)}, with "
            f"{offered.access.value} access), so it cannot be used. Ask them, or the person "
            "whose plan it is, for a new one."
        )
    return Forbidden("Invitation cannot be used", detail)


def withdraw_refusal(offered: Grantable) -> DomainError:
    """The 403 for withdrawing an invitation that offers more than the actor may share."""
    return Forbidden(
        "Not yours to withdraw",
        f"This invitation offers {titles(k for k in SECTION_KEYS if k in offered.sections)} "
        f"with {offered.access.value} access, which is more than you may share, so only the "
        "person can withdraw it.",
    )


def representative_refusal(decision: ShareDecision, *, recording: bool) -> DomainError:
    """The 403 for recording or ending a representative without the authority to."""
    if decision.refusal == Refusal.ONLY_THE_PERSON_CONSENTS:
        if recording:
            detail = (
                "Only the person themselves can record their own consent for someone to act "
                "for them. Record the lasting power of attorney or court order instead."
            )
        else:
            detail = (
                "Only the person themselves can withdraw the consent they gave for someone to "
                "act for them."
            )
        return Forbidden(
            "Only the person can give consent",
            detail,
            errors=[FieldError("authority", "Only the person can record their own consent")],
        )
    if decision.refusal == Refusal.TO_THEMSELVES:
        return Forbidden(
            "Not your own record",
            "You cannot record yourself as speaking for the person, or widen your own record: "
            "only the person, or a court-appointed deputy, can. Enter someone else's email "
            "address.",
            errors=[FieldError("email", "Enter someone else's email address")],
        )
    if decision.refusal == Refusal.BEYOND_DEPUTY:
        if not recording:
            return Forbidden(
                "Not yours to end",
                "This record reaches further than your own as a deputy, so only the person "
                "can end it.",
            )
        beyond = f" {titles(decision.outside)} is outside it." if decision.outside else ""
        return Forbidden(
            "Wider than your own record",
            "As a deputy you can record someone only within your own record: the sections it "
            f"covers and the powers it gives you.{beyond} Choose fewer sections or powers.",
            errors=[FieldError("sections", "Choose only what your own record covers")],
        )
    doing = "record who speaks for them" if recording else "end a record of who speaks for them"
    return Forbidden(
        "Only the person or their deputy",
        f"Only the person, or a court-appointed deputy who may choose who sees the plan, can "
        f"{doing}. Ask the person (or their deputy) to do it.",
    )
