"""The filter of the audit page."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms

from xingji.accounts.models import User
from xingji.audit.labels import (
    action_label,
    action_sort_key,
    model_order,
    namespace_label,
    namespace_object_type,
    object_type_label,
)
from xingji.common.forms import DateInput


class ActorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


def object_type_choices(object_types: Iterable[str]) -> list[tuple[str, str]]:
    """``(label, Chinese name)`` of the object types, in the app registry's order."""
    order = model_order()
    return [
        (object_type, object_type_label(object_type))
        for object_type in sorted(set(object_types), key=lambda label: (order.get(label, len(order)), label))
    ]


def action_choices(actions: Iterable[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The actions grouped by what they act on, each group led by the whole namespace (``member``)."""
    by_namespace: dict[str, list[str]] = {}
    for action in set(actions):
        by_namespace.setdefault(action.rpartition(".")[0], []).append(action)
    order = model_order()

    def namespace_key(namespace: str) -> tuple[int, str]:
        return (order.get(namespace_object_type(namespace) or "", len(order)), namespace)

    return [
        (
            namespace_label(namespace),
            [
                (namespace, f"{namespace_label(namespace)}（全部操作）"),
                *((action, action_label(action)) for action in sorted(by_namespace[namespace], key=action_sort_key)),
            ],
        )
        for namespace in sorted(by_namespace, key=namespace_key)
    ]


#: A select's choices: a value and its label, or a group's name and its own choices.
Choices = list[tuple[str, str | list[tuple[str, str]]]]


def _offered(choices: Choices) -> set[str]:
    values: set[str] = set()
    for value, label in choices:
        if isinstance(label, list | tuple):
            values.update(inner for inner, _ in label)
        else:
            values.add(value)
    return values


class AuditFilterForm(forms.Form):
    """Filters by who, what and when; ``action`` and ``object_type`` keep taking codes in the query string.

    ``present`` is the ``(action, object_type)`` pairs found in the log
    (``xingji.audit.selectors.audit_kinds_present``): the two selects offer
    those, by their Chinese names. A code given in the query string that the
    log does not hold (an old link) is offered too, so the select shows what
    is filtered.
    """

    actor = ActorChoiceField(
        label="操作人", required=False, empty_label="全部操作人", queryset=User.objects.order_by("username")
    )
    action = forms.CharField(label="操作", required=False, widget=forms.Select)
    object_type = forms.CharField(label="对象类型", required=False, widget=forms.Select)
    object_id = forms.CharField(label="对象编号", required=False, max_length=64)
    since = forms.DateField(label="起始日期", required=False, widget=DateInput())
    until = forms.DateField(label="截止日期", required=False, widget=DateInput())

    def __init__(self, *args, present: Iterable[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        present = list(present)
        actions: Choices = list(action_choices(action for action, _ in present))
        object_types: Choices = list(object_type_choices(object_type for _, object_type in present))
        requested_action = (self.data.get("action") or "").strip()
        if requested_action and requested_action not in _offered(actions):
            label = action_label(requested_action) if "." in requested_action else namespace_label(requested_action)
            actions.append((requested_action, label))
        requested_type = (self.data.get("object_type") or "").strip()
        if requested_type and requested_type not in _offered(object_types):
            object_types.append((requested_type, object_type_label(requested_type)))
        self.fields["action"].widget.choices = [("", "全部操作"), *actions]
        self.fields["object_type"].widget.choices = [("", "全部对象类型"), *object_types]

    def clean(self):
        cleaned_data = super().clean()
        since, until = cleaned_data.get("since"), cleaned_data.get("until")
        if since and until and since > until:
            self.add_error("until", "截止日期不能早于起始日期")
        return cleaned_data

    def selector_filters(self) -> dict:
        """The valid filters as ``audit_entry_list`` arguments (invalid ones are left out)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        actor = data.get("actor")
        return {
            "actor_id": actor.pk if actor else None,
            "action": (data.get("action") or "").strip(),
            "object_type": (data.get("object_type") or "").strip(),
            "object_id": (data.get("object_id") or "").strip(),
            "since": data.get("since"),
            "until": data.get("until") if "until" not in self.errors else None,
        }
