"""``action_label`` and ``object_type_label`` for templates: the Chinese names of an entry's codes."""

from __future__ import annotations

from django import template

from xingji.audit import labels

register = template.Library()

register.filter("action_label", labels.action_label)
register.filter("object_type_label", labels.object_type_label)
