"""The refusals of every service, each with a message a user can read.

``TransitionRefused`` (a ``ValidationError``): the state or the data do not
allow the change — a view shows the message on the form or as an alert.
``ActionForbidden`` (a ``PermissionDenied``): the user's role may not do it
— a view answers 403 with the message. Either way the service has changed
nothing and logged nothing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError


class TransitionRefused(ValidationError):
    """The current state or the data given do not allow this change."""


class ActionForbidden(PermissionDenied):
    """The acting user's role does not allow this change."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def required_text(value: str | None, label: str, *, maximum: int | None = None) -> str:
    """``value`` stripped; ``TransitionRefused`` naming ``label`` when it is empty or longer than ``maximum``."""
    text = (value or "").strip()
    if not text:
        raise TransitionRefused(f"请填写{label}", code="required")
    if maximum is not None and len(text) > maximum:
        raise TransitionRefused(f"{label}不能超过{maximum}字", code="too_long")
    return text
