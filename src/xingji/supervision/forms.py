"""The forms of the supervision pages: they only shape input; the services decide."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils import timezone

from xingji.accounts.access import visible_organizations, visible_users
from xingji.accounts.models import User
from xingji.common.forms import DateInput, OrganizationChoiceField, indented_label
from xingji.ledger.models import ItemSource
from xingji.records.models import CriticismIssuer
from xingji.supervision.models import ChangeState, Recheck, RecheckMethod, VisitMethod

TEXTAREA = {"rows": 3}


def _today():
    return timezone.localdate()


class OrganizationMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return indented_label(obj)


def subordinate_organizations(user):
    """The organizations the user may record findings on: its subtree without its own node."""
    organizations = visible_organizations(user).filter(is_active=True)
    if not user.is_superuser and user.organization_id is not None:
        organizations = organizations.exclude(pk=user.organization_id)
    return organizations.order_by("path")


def level_choices(names: dict[int, str], current: int | None) -> list[tuple[str, str]]:
    """The levels to change to, lowest first (a downgrade is the usual case), the current one left out."""
    return [("", "—")] + [(str(level), name) for level, name in sorted(names.items()) if level != current]


class ItemForm(forms.Form):
    """One rectification item opened from findings; a row left wholly blank is skipped."""

    problem = forms.CharField(label="存在问题", widget=forms.Textarea(attrs={"rows": 2}))
    target = forms.CharField(label="整改目标", widget=forms.Textarea(attrs={"rows": 2}))
    measures = forms.CharField(label="整改措施", widget=forms.Textarea(attrs={"rows": 2}))
    responsible = forms.CharField(label="责任人", max_length=100)
    deadline = forms.DateField(label="整改时限", widget=DateInput())


class VisitItemForm(ItemForm):
    organization = OrganizationChoiceField(label="党组织", queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = subordinate_organizations(user)
        self.order_fields(["organization"])


ItemFormSet = forms.formset_factory(ItemForm, extra=3, max_num=20, validate_max=True)
VisitItemFormSet = forms.formset_factory(VisitItemForm, extra=2, max_num=20, validate_max=True)


class CriticismForm(forms.Form):
    """A criticism notice (通报批评) issued on a visit, and optionally the item it orders (限时整改)."""

    organization = OrganizationChoiceField(label="被通报党组织", queryset=None)
    # A blank first choice: an untouched extra row of the formset must post nothing, so it is skipped.
    issuer = forms.ChoiceField(label="通报单位", choices=[("", "—"), *CriticismIssuer.choices])
    document_number = forms.CharField(label="文号", max_length=100, required=False)
    reason = forms.CharField(label="事由", widget=forms.Textarea(attrs={"rows": 2}))
    date = forms.DateField(label="通报日期", widget=DateInput(), required=False, help_text="留空为督导日期")
    target = forms.CharField(
        label="整改目标",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="填写整改目标、措施、责任人和时限则同时登记一条“通报批评”整改事项",
    )
    measures = forms.CharField(label="整改措施", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    responsible = forms.CharField(label="责任人", max_length=100, required=False)
    deadline = forms.DateField(label="整改时限", widget=DateInput(), required=False)

    ITEM_FIELDS = ("target", "measures", "responsible", "deadline")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = subordinate_organizations(user)

    def notice(self) -> dict:
        data = self.cleaned_data
        notice = {key: data.get(key) for key in ("organization", "issuer", "document_number", "reason", "date")}
        item = {key: data.get(key) for key in self.ITEM_FIELDS}
        if any(value not in (None, "") for value in item.values()):
            notice["item"] = item
        return notice


CriticismFormSet = forms.formset_factory(CriticismForm, extra=1, max_num=20, validate_max=True)


def filled(formset) -> list[dict]:
    """The cleaned rows of a valid formset, blank rows left out."""
    return [form.cleaned_data for form in formset.forms if form.has_changed() and form.cleaned_data]


class RecheckForm(forms.Form):
    checked_on = forms.DateField(label="复检日期", widget=DateInput(), initial=_today)
    method = forms.ChoiceField(label="复检方式", choices=RecheckMethod.choices)
    findings = forms.CharField(label="复检发现", widget=forms.Textarea(attrs={"rows": 5}))
    propose_level = forms.TypedChoiceField(
        label="提请调整星级",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="需要降星（或调整星级）时选择；经工委会批准后才生效",
    )
    propose_reason = forms.CharField(
        label="调整理由", required=False, widget=forms.Textarea(attrs=TEXTAREA), help_text="留空则以复检发现为理由"
    )

    def __init__(self, *args, names: dict[int, str], current: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["propose_level"]).choices = level_choices(names, current)


class LevelChangeForm(forms.Form):
    to_level = forms.TypedChoiceField(label="调整为", coerce=int)
    reason = forms.CharField(label="调整理由", widget=forms.Textarea(attrs={"rows": 4}))
    recheck: forms.ModelChoiceField[Recheck] = forms.ModelChoiceField(label="依据的复检", queryset=None, required=False)

    def __init__(self, *args, names: dict[int, str], current: int | None, rechecks, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["to_level"]).choices = level_choices(names, current)
        cast(forms.ModelChoiceField, self.fields["recheck"]).queryset = rechecks


class ApproveForm(forms.Form):
    meeting_on = forms.DateField(label="工委会会议日期", widget=DateInput(), initial=_today)
    minutes_number = forms.CharField(label="会议纪要编号", max_length=100)
    comment = forms.CharField(label="意见", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(forms.Form):
    comment = forms.CharField(label="不批准的理由", widget=forms.Textarea(attrs={"rows": 2}))


class GuideForm(forms.Form):
    name = forms.CharField(label="指导人", max_length=100, help_text="指导人或联系领导的姓名")
    user: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label="指导人账号", queryset=None, required=False, help_text="指导人有本系统账号时选择"
    )
    note = forms.CharField(label="说明", max_length=200, required=False, help_text="职务、联系方式等")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = visible_users(user).filter(is_active=True).order_by("username")


class VisitForm(forms.Form):
    visited_on = forms.DateField(label="督导日期", widget=DateInput(), initial=_today)
    method = forms.ChoiceField(label="督导形式", choices=VisitMethod.choices)
    organizations = OrganizationMultipleChoiceField(
        label="督导对象", queryset=None, widget=forms.SelectMultiple(attrs={"size": 8})
    )
    group_members = forms.CharField(label="督导组成员", widget=forms.Textarea(attrs={"rows": 2}))
    findings = forms.CharField(label="发现问题", widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizations"].queryset = subordinate_organizations(user)


class FocusFilterForm(forms.Form):
    q = forms.CharField(
        label="搜索", required=False, widget=forms.TextInput(attrs={"placeholder": "组织名称、编号或指导人"})
    )
    level = forms.ChoiceField(
        label="星级", required=False, choices=[("", "全部星级"), ("1", "一星级"), ("0", "不定星级"), ("none", "未定级")]
    )
    guide = forms.ChoiceField(
        label="指导人", required=False, choices=[("", "指导人：全部"), ("yes", "已指定指导人"), ("no", "未指定指导人")]
    )
    stale = forms.ChoiceField(label="复检", required=False, choices=[("", "复检：全部"), ("1", "超期未复检")])


class ChangeFilterForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, widget=forms.TextInput(attrs={"placeholder": "组织名称或理由"}))
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *ChangeState.choices])


class SearchForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, widget=forms.TextInput(attrs={"placeholder": "组织名称或内容"}))


class VisitFilterForm(SearchForm):
    method = forms.ChoiceField(label="督导形式", required=False, choices=[("", "全部形式"), *VisitMethod.choices])


SOURCES = dict(ItemSource.choices)
