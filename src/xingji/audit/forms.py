"""The filter of the audit page."""

from __future__ import annotations

from django import forms

from xingji.accounts.models import User
from xingji.web.forms import DateInput

OBJECT_TYPES = [
    ("orgs.organization", "党组织"),
    ("orgs.member", "党员"),
    ("orgs.election", "换届"),
    ("accounts.user", "用户"),
]


class ActorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class AuditFilterForm(forms.Form):
    actor = ActorChoiceField(label="操作人", required=False, empty_label="全部操作人",
                             queryset=User.objects.order_by("username"))
    action = forms.CharField(label="操作", required=False, max_length=100,
                             widget=forms.TextInput(attrs={"placeholder": "代码或前缀，如 member"}))
    object_type = forms.CharField(label="对象类型", required=False, max_length=100,
                                  widget=forms.TextInput(attrs={"list": "object-types",
                                                                "placeholder": "如 orgs.member"}))
    object_id = forms.CharField(label="对象编号", required=False, max_length=64)
    since = forms.DateField(label="起始日期", required=False, widget=DateInput())
    until = forms.DateField(label="截止日期", required=False, widget=DateInput())

    object_types = OBJECT_TYPES

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
