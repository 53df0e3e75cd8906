"""The transition engine every stateful model shares: a table of named transitions, a check, a move.

An app writes its table (``{code: transition(...)}``) next to its models, in
its own ``workflow`` module, and calls ``check`` before a change and ``move``
to set the new state. ``check`` refuses a state the transition does not start
from, with a message saying what the state is and what was asked
(``TransitionRefused``); ``move`` refuses, as a programming error, a target
the table does not list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import models

from xingji.common.errors import TransitionRefused


@dataclass(frozen=True)
class Transition:
    code: str
    label: str  # what is asked, as a Chinese verb phrase: "提交自评"
    sources: frozenset[str]
    targets: frozenset[str]  # empty: the state does not change


def transition(code: str, label: str, sources: Iterable[str], targets: Iterable[str] = ()) -> Transition:
    """One row of a transition table."""
    return Transition(code, label, frozenset(sources), frozenset(targets))


def table(*transitions: Transition) -> dict[str, Transition]:
    """A transition table, by code."""
    return {item.code: item for item in transitions}


def state_label(choices: type[models.TextChoices], state: str) -> str:
    """The state's Chinese label, or the state itself when the choices do not know it."""
    try:
        return str(choices(state).label)
    except ValueError:
        return state


def check(transition: Transition, state: str, *, subject: str, choices: type[models.TextChoices]) -> None:
    """Refuse when ``state`` is not one the transition starts from, naming the state and the transition."""
    if state not in transition.sources:
        raise TransitionRefused(
            f"{subject}当前状态为“{state_label(choices, state)}”，不能{transition.label}",
            code="state",
        )


def move(transitions: Mapping[str, Transition], code: str, subject: models.Model, target: str) -> None:
    """Set ``subject.state`` to ``target``, which the transition ``code`` must list."""
    if target not in transitions[code].targets:
        raise ValueError(f"transition {code} does not lead to {target}")
    subject.state = target  # type: ignore[attr-defined]


def allowed(transitions: Mapping[str, Transition], state: str) -> frozenset[str]:
    """The codes of the transitions ``state`` allows (what ``check`` lets pass)."""
    return frozenset(code for code, item in transitions.items() if state in item.sources)
