"""Forms of the records pages: a record, the list's filters, an upload, the reason for sending a claim back."""

from __future__ import annotations

from typing import cast

from django import forms
from django.db import models
from django.utils import timezone

from xingji.accounts.access import visible_members, visible_organizations
from xingji.common.files import format_size, max_bytes
from xingji.common.forms import DateInput, indented_label
from xingji.common.tabular import ACCEPT, ACCEPTED_TEXT
from xingji.orgs.models import Organization
from xingji.records.access import enterable_organizations
from xingji.records.attachments import ALLOWED_TEXT, evidence_input
from xingji.records.kinds import RecordKind
from xingji.records.services import REVIEW_NOTE_MAX_LENGTH


class RecordForm(forms.ModelForm):
    """A record of any kind; organizations (and members) offered only within the user's subtree."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        organization_field = self.fields["organization"]
        # Only where the user may enter such a record: a deduction never for the user's own organization.
        organization_field.queryset = enterable_organizations(user, self._meta.model).order_by("path")
        organization_field.label_from_instance = indented_label
        if "member" in self.fields:
            members = visible_members(user).select_related("organization").order_by("organization__path", "name")
            organization_id = self._chosen_organization_id()
            if organization_id:
                members = members.filter(organization_id=organization_id)
            member_field = self.fields["member"]
            member_field.queryset = members
            member_field.label_from_instance = lambda member: f"{member.name}（{member.organization.name}）"

    def _chosen_organization_id(self) -> str | int | None:
        """The organization being filled in, so that only its members are offered."""
        if self.is_bound:
            value = self.data.get(self.add_prefix("organization"))
        else:
            value = self.initial.get("organization") or self.instance.organization_id
        value = getattr(value, "pk", value)
        return value if str(value or "").isdigit() else None


def record_form_class(kind: RecordKind) -> type[RecordForm]:
    widgets: dict[str, type[forms.Widget] | forms.Widget] = {"date": DateInput()}
    for name in kind.fields:
        if isinstance(kind.field(name), models.TextField):
            widgets[name] = forms.Textarea(attrs={"rows": 3})
    return cast(
        "type[RecordForm]", forms.modelform_factory(kind.model, form=RecordForm, fields=kind.fields, widgets=widgets)
    )


ALL = ("", "全部")
#: The years a filter or the facts page accepts.
MIN_YEAR, MAX_YEAR = 2000, 2100


class FilterForm(forms.Form):
    """The list's search box and filters; an invalid value is ignored rather than failing the page."""

    q = forms.CharField(label="搜索", required=False, max_length=100)
    year = forms.TypedChoiceField(label="年度", required=False, coerce=int, empty_value=None)
    organization: forms.ModelChoiceField[Organization] = forms.ModelChoiceField(
        label="党组织", required=False, queryset=None, empty_label="全部（含下级）", to_field_name="pk"
    )
    scope = forms.ChoiceField(label="范围", required=False, choices=[("", "含下级组织"), ("own", "仅本组织")])

    def __init__(self, *args, kind: RecordKind, user, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        current = timezone.localdate().year
        # A year asked for (a link from an evaluation's facts) stays a filter even when it has no record yet.
        asked = str(self.data.get("year") or "")
        extra = {int(asked)} if len(asked) == 4 and asked.isdigit() and MIN_YEAR <= int(asked) <= MAX_YEAR else set()
        year_choices = sorted({*years, current, *extra}, reverse=True)
        cast(forms.ChoiceField, self.fields["year"]).choices = [ALL, *((year, f"{year}年") for year in year_choices)]
        organization = cast("forms.ModelChoiceField[Organization]", self.fields["organization"])
        organization.queryset = visible_organizations(user).order_by("path")
        organization.label_from_instance = indented_label  # type: ignore[method-assign, assignment]
        self.filter_names = list(kind.filter_fields)
        for name in kind.filter_fields:
            model_field = kind.field(name)
            label = kind.header(name)
            if isinstance(model_field, models.BooleanField):
                self.fields[name] = forms.TypedChoiceField(
                    label=label,
                    required=False,
                    choices=[ALL, ("1", "是"), ("0", "否")],
                    coerce=lambda value: value == "1",
                    empty_value=None,
                )
            else:
                self.fields[name] = forms.ChoiceField(
                    label=label, required=False, choices=[ALL, *(model_field.choices or [])]
                )

    def values(self) -> dict:
        """The valid values, for ``record_list``; an invalid field counts as not given."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "search": data.get("q") or "",
            "year": data.get("year"),
            "organization": data.get("organization"),
            "own_only": data.get("scope") == "own",
            "filters": {name: data.get(name) for name in self.filter_names},
        }


class AttachmentForm(forms.Form):
    file = forms.FileField(label="附件", widget=evidence_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = f"{ALLOWED_TEXT}，不超过 {format_size(max_bytes())}"


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="退回理由",
        max_length=REVIEW_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="说明为何不予确认，本组织可据此修改后重新申报",
    )


class ImportForm(forms.Form):
    file = forms.FileField(label="文件", widget=forms.FileInput(attrs={"accept": ACCEPT}), help_text=ACCEPTED_TEXT)


class FactsForm(forms.Form):
    organization: forms.ModelChoiceField[Organization] = forms.ModelChoiceField(label="党组织", queryset=None)
    year = forms.IntegerField(label="年度", min_value=MIN_YEAR, max_value=MAX_YEAR)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        organization = cast("forms.ModelChoiceField[Organization]", self.fields["organization"])
        organization.queryset = visible_organizations(user).order_by("path")
        organization.label_from_instance = indented_label  # type: ignore[method-assign, assignment]
