"""Template filters of the platform's pages."""

from __future__ import annotations

import json

from django import template

register = template.Library()


@register.filter
def pretty_json(value) -> str:
    """A JSON value indented for reading, Chinese left as it is; "—" for none."""
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
