"""The Chinese names of an audit entry's codes for templates: its action, object type and changes."""

from __future__ import annotations

from django import template

from xingji.audit import labels

register = template.Library()

register.filter("action_label", labels.action_label)
register.filter("object_type_label", labels.object_type_label)


@register.simple_tag
def audit_changes(entry) -> list[tuple[str, str, str]]:
    """``{% audit_changes entry as rows %}``: the entry's before and after, row by row (``labels.changes``)."""
    return labels.changes(entry.object_type, entry.before, entry.after)
