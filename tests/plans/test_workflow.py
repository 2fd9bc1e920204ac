"""The sign-off state machine as a table: every state × every transition."""

from __future__ import annotations

import pytest

from portal.core.errors import DomainError
from portal.plans.workflow import State, Transition, allowed_from, next_state
from portal.problems import status_of

D, S, P, A = State.DRAFT, State.SUBMITTED, State.PLAN_AUTHORISED, State.AGREED
# Where each transition leads from each state; absent means "not from here".
EXPECTED: dict[tuple[State, Transition], State] = {
    (D, Transition.SUBMIT): S,
    (S, Transition.RESUBMIT): S,
    (P, Transition.RESUBMIT): S,
    (S, Transition.AUTHORISE_PLAN): P,
    (P, Transition.AUTHORISE_BUDGET): A,
    (S, Transition.RETURN): D,
    (P, Transition.RETURN): D,
    (A, Transition.AMEND): D,
    (A, Transition.START_REVIEW): D,
    # Withdrawing consent leaves sign-off from anywhere (a draft may still have an agreed
    # version in force); the service refuses it when nothing is shared.
    (D, Transition.WITHDRAW_CONSENT): D,
    (S, Transition.WITHDRAW_CONSENT): D,
    (P, Transition.WITHDRAW_CONSENT): D,
    (A, Transition.WITHDRAW_CONSENT): D,
}


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("transition", list(Transition))
def test_each_transition_from_each_state(state: State, transition: Transition) -> None:
    want = EXPECTED.get((state, transition))
    if want is not None:
        assert next_state(state, transition) == want
        assert transition in allowed_from(state)
        return
    with pytest.raises(DomainError) as refused:
        next_state(state, transition)
    assert status_of(refused.value) == 409
    assert refused.value.extra["current_state"] == state.value
    assert transition not in allowed_from(state)


def test_nothing_is_agreed_without_both_authorisations() -> None:
    reachable = {State.DRAFT}
    frontier = [State.DRAFT]
    paths: dict[State, list[Transition]] = {State.DRAFT: []}
    while frontier:
        state = frontier.pop()
        for transition in allowed_from(state):
            target = next_state(state, transition)
            if target not in reachable:
                reachable.add(target)
                paths[target] = [*paths[state], transition]
                frontier.append(target)
    assert paths[State.AGREED] == [
        Transition.SUBMIT,
        Transition.AUTHORISE_PLAN,
        Transition.AUTHORISE_BUDGET,
    ]
