"""Forms of the organization and member pages.

They validate input and offer only the organizations the user can see; the
writes and the invariants of the tree stay in ``xingji.orgs.services``, whose
``ValidationError`` a view shows on the form (``web.forms.add_service_error``).
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from xingji.accounts.access import visible_organizations
from xingji.common.forms import DateInput, OrganizationChoiceField
from xingji.common.tabular import ACCEPT, ACCEPTED_TEXT
from xingji.orgs.models import (
    Election,
    LeadershipPosition,
    Member,
    MemberStatus,
    Organization,
    TermLength,
)
from xingji.orgs.selectors import merge_targets, move_targets
from xingji.orgs.services import ORGANIZATION_UPDATABLE_FIELDS, Seat


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = list(ORGANIZATION_UPDATABLE_FIELDS)
        widgets = {"founded": DateInput()}


class OrganizationMoveForm(forms.Form):
    new_parent = OrganizationChoiceField(
        label="新的上级组织",
        queryset=Organization.objects.none(),
        help_text="组织连同其全部下级组织、党员一起移动",
    )
    moved_on = forms.DateField(
        label="调整日期",
        required=False,
        widget=DateInput(),
        help_text="隶属关系调整生效的日期，留空为今天；评定活动按其年度末的隶属关系确定参评范围",
    )

    def __init__(self, *args, user, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        # The service checks the target again under its lock.
        cast(OrganizationChoiceField, self.fields["new_parent"]).queryset = move_targets(
            user=user, organization=organization
        )
        self.fields["moved_on"].initial = timezone.localdate()


class MemberForm(forms.ModelForm):
    """A member's data; ``organization`` (a transfer) is offered only when editing."""

    organization = OrganizationChoiceField(label="所在党组织", queryset=Organization.objects.none())

    class Meta:
        model = Member
        fields = ["organization", "name", "gender", "birth_year", "joined", "status", "leadership_position", "phone"]
        widgets = {"joined": DateInput()}

    def __init__(self, *args, user, transfer: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if transfer:
            field = cast(OrganizationChoiceField, self.fields["organization"])
            field.queryset = visible_organizations(user).filter(is_active=True).order_by("path")
            field.help_text = "改为其他组织即组织关系转接"
        else:
            del self.fields["organization"]


class MemberFilterForm(forms.Form):
    q = forms.CharField(
        label="姓名", required=False, widget=forms.TextInput(attrs={"type": "search", "placeholder": "按姓名搜索"})
    )
    status = forms.ChoiceField(label="党员类别", required=False, choices=[("", "全部类别"), *MemberStatus.choices])
    position = forms.ChoiceField(
        label="班子职务", required=False, choices=[("", "全部职务"), *LeadershipPosition.choices]
    )


class MemberMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class ElectionForm(forms.ModelForm):
    """The current term, and the team it elected (from the member roll); the approval of a postponement is
    the superior's to record.

    ``team_seats()`` gives the team for ``services.election_record``; the fields other than the model's
    are listed in ``TEAM_FIELDS``.
    """

    secretary = forms.ModelChoiceField(
        label="当选书记", queryset=Member.objects.none(), required=False, empty_label="（未记录）"
    )
    deputy_secretaries = MemberMultipleChoiceField(
        label="当选副书记", queryset=Member.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    committee_members = MemberMultipleChoiceField(
        label="当选委员", queryset=Member.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label="备注", max_length=500, required=False)

    TEAM_FIELDS = ("secretary", "deputy_secretaries", "committee_members", "note")

    class Meta:
        model = Election
        fields = ["last_election", "term_years", "postponement_requested", "postponement_approved"]
        widgets = {"last_election": DateInput(), "term_years": forms.RadioSelect}

    def __init__(self, *args, can_approve: bool, members: QuerySet[Member] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["term_years"]).choices = TermLength.choices
        roll = members if members is not None else Member.objects.none()
        for name in ("secretary", "deputy_secretaries", "committee_members"):
            cast(forms.ModelChoiceField, self.fields[name]).queryset = roll
        if not can_approve:
            field = self.fields["postponement_approved"]
            field.disabled = True
            field.help_text = "由上级党组织批准后录入"

    def clean(self):
        cleaned = super().clean()
        seen: set[int] = set()
        for member in self._seat_members(cleaned):
            if member.pk in seen:
                raise forms.ValidationError(f"“{member.name}”只能担任一个职务")
            seen.add(member.pk)
        return cleaned

    @staticmethod
    def _seat_members(cleaned) -> list[Member]:
        secretary = cleaned.get("secretary")
        return [
            *([secretary] if secretary else []),
            *(cleaned.get("deputy_secretaries") or []),
            *(cleaned.get("committee_members") or []),
        ]

    def team_seats(self) -> list[Seat]:
        cleaned = self.cleaned_data
        seats: list[Seat] = []
        if cleaned.get("secretary"):
            seats.append((LeadershipPosition.SECRETARY, cleaned["secretary"]))
        seats += [(LeadershipPosition.DEPUTY_SECRETARY, member) for member in cleaned.get("deputy_secretaries") or []]
        seats += [(LeadershipPosition.COMMITTEE_MEMBER, member) for member in cleaned.get("committee_members") or []]
        return seats

    def election_data(self) -> dict:
        """The model's fields of ``cleaned_data`` (what ``election_record`` takes besides the team)."""
        return {name: value for name, value in self.cleaned_data.items() if name not in self.TEAM_FIELDS}


class OrganizationEndForm(forms.Form):
    """The date and reason of a merge or a dissolution, and the user's confirmation."""

    on = forms.DateField(label="日期", widget=DateInput())
    reason = forms.CharField(label="原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(label="我已核对，确认执行", help_text="执行后该组织设为无效，不能恢复")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class OrganizationMergeForm(OrganizationEndForm):
    into = OrganizationChoiceField(
        label="并入组织",
        queryset=Organization.objects.none(),
        help_text="本组织的党员和下级组织转入该组织；本组织的星级台账和各项记录保留，可从该组织页面查看",
    )
    field_order = ["into", "on", "reason", "confirm"]

    def __init__(self, *args, user, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        cast(OrganizationChoiceField, self.fields["into"]).queryset = merge_targets(
            user=user, organization=organization
        )


class OrganizationFilterForm(forms.Form):
    q = forms.CharField(
        label="名称或编号",
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "名称或编号"}),
    )
    org_type = forms.ChoiceField(
        label="组织类型", required=False, choices=[("", "全部类型"), *Organization._meta.get_field("org_type").choices]
    )
    category = forms.ChoiceField(
        label="类别", required=False, choices=[("", "全部类别"), *Organization._meta.get_field("category").choices]
    )


class ImportKind(models.TextChoices):
    ORGANIZATIONS = "organizations", "党组织"
    MEMBERS = "members", "党员"


class ImportForm(forms.Form):
    file = forms.FileField(
        label="文件",
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
        help_text=f"{ACCEPTED_TEXT}，列名同导入模板；有任何错误时整份文件都不导入",
    )
