"""Applying a partial update to a model instance."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Model


def apply_changes(instance: Model, data: Mapping[str, Any], allowed: Iterable[str]) -> list[str]:
    """Set the fields of ``data`` on ``instance``; return the names of those that changed.

    A key outside ``allowed`` is a programming error (``ValueError``), so that
    a form or import can never change a field its service does not expect.
    """
    allowed = tuple(allowed)
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValueError(f"{type(instance).__name__} fields that cannot be updated here: {', '.join(unknown)}")
    changed = []
    for name in allowed:
        if name in data and getattr(instance, name) != data[name]:
            setattr(instance, name, data[name])
            changed.append(name)
    return changed


def max_length(model: type[Model], name: str) -> int:
    """The ``max_length`` of a model's text field, which an import checks before the database would."""
    length = getattr(model._meta.get_field(name), "max_length", None)
    if not isinstance(length, int):
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return length
