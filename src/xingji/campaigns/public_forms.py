"""Forms of the public notice pages (公示), used without login."""

from __future__ import annotations

from typing import cast

from django import forms

from xingji.campaigns.services import CONTACT_MAX_LENGTH, OBJECTION_MAX_LENGTH

#: Longer than any receipt number (XXXX-XXXX-XXXX-XXXX), so that a pasted one with spaces still fits.
RECEIPT_MAX_LENGTH = 40


class ObjectionForm(forms.Form):
    """An objection (异议) to one organization on a notice: content required, contact optional."""

    entry = forms.TypedChoiceField(label="异议对象（党组织）", coerce=int, empty_value=None)
    content = forms.CharField(
        label="异议内容",
        max_length=OBJECTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=f"请写明事实和理由，不超过{OBJECTION_MAX_LENGTH}字。",
        error_messages={"required": "请填写异议内容"},
    )
    contact = forms.CharField(
        label="联系方式（选填）",
        max_length=CONTACT_MAX_LENGTH,
        required=False,
        help_text="留下电话或邮箱，便于核实情况；不填也可以，凭回执号查询答复。",
    )

    def __init__(self, *args, entries, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["entry"]).choices = [("", "请选择")] + [
            (entry.pk, f"{entry.organization.name}（{entry.level_name}）") for entry in entries
        ]
        self.fields["entry"].error_messages["required"] = "请选择异议对象"


class ReceiptLookupForm(forms.Form):
    # No format check here: a malformed receipt gets the same answer as an unknown one (the view's).
    receipt = forms.CharField(
        label="回执号",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "placeholder": "XXXX-XXXX-XXXX-XXXX", "maxlength": RECEIPT_MAX_LENGTH}
        ),
        error_messages={"required": "请填写回执号"},
    )
