"""Forms of the organization and member pages.

They validate input and offer only the organizations the user can see; the
writes and the invariants of the tree stay in ``xingji.orgs.services``, whose
``ValidationError`` a view shows on the form (``web.forms.add_service_error``).
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.db import models

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
from xingji.orgs.selectors import move_targets
from xingji.orgs.services import ORGANIZATION_UPDATABLE_FIELDS


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

    def __init__(self, *args, user, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        # The service checks the target again under its lock.
        cast(OrganizationChoiceField, self.fields["new_parent"]).queryset = move_targets(
            user=user, organization=organization
        )


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


class ElectionForm(forms.ModelForm):
    """The current term; the approval of a postponement is the superior's to record."""

    class Meta:
        model = Election
        fields = ["last_election", "term_years", "postponement_requested", "postponement_approved"]
        widgets = {"last_election": DateInput(), "term_years": forms.RadioSelect}

    def __init__(self, *args, can_approve: bool, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["term_years"]).choices = TermLength.choices
        if not can_approve:
            field = self.fields["postponement_approved"]
            field.disabled = True
            field.help_text = "由上级党组织批准后录入"


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
