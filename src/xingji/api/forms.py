"""The form that creates an API client."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from django import forms
from django.utils import timezone

from xingji.accounts.access import visible_organizations
from xingji.accounts.models import Role, User
from xingji.api import scopes
from xingji.common.forms import DateInput, OrganizationChoiceField
from xingji.orgs.models import Organization

WRITING_ROLE_CHOICES = [(role.value, role.label) for role in Role if role != Role.INSPECTOR]


class ApiClientForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100, help_text="对接的系统，如 某省智慧党建平台")
    organization = OrganizationChoiceField(
        label="党组织", queryset=Organization.objects.none(), help_text="令牌只能读写这个组织及其下级组织"
    )
    scopes = forms.MultipleChoiceField(label="权限范围", choices=scopes.choices(), widget=forms.CheckboxSelectMultiple)
    role = forms.ChoiceField(
        label="写入时的角色",
        choices=WRITING_ROLE_CHOICES,
        initial=Role.BRANCH_SECRETARY,
        help_text="有写入权限时，接口按该角色在所选组织写入，与网页上该角色的权限相同；只读的令牌按督导组（只读）访问",
    )
    expires_on = forms.DateField(label="失效日期", widget=DateInput, help_text="最长一年；当天零点失效")

    def __init__(self, *args, manager: User, **kwargs):
        super().__init__(*args, **kwargs)
        organization = cast(OrganizationChoiceField, self.fields["organization"])
        organization.queryset = visible_organizations(manager).order_by("path")
        self.fields["expires_on"].initial = timezone.localdate() + timedelta(days=180)
