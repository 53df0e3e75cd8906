"""Pages that end an organization (合并, 撤销) and the history shown on its pages.

As the other organization pages: objects reached through
``xingji.accounts.access`` (404 outside the user's subtree, 403 for a
read-only role), changes made only through ``xingji.orgs.services``. Merging
and dissolving are the superiors' work: the button and the page agree
(``end_refusal``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from xingji.accounts.access import READ_ONLY, access_organization, can_write, is_superior_of
from xingji.accounts.decorators import login_required
from xingji.common.forms import add_service_error
from xingji.orgs.forms import OrganizationEndForm, OrganizationMergeForm
from xingji.orgs.models import Member, Organization
from xingji.orgs.selectors import former_names, merged_organizations, organization_moves
from xingji.orgs.services import ENDS_BY_SUPERIORS, organization_dissolve, organization_merge


def end_refusal(user, organization: Organization) -> str:
    """Why the user may not merge or dissolve the organization, or "" when the user may."""
    if not can_write(user):
        return READ_ONLY
    if not is_superior_of(user, organization.pk):
        return ENDS_BY_SUPERIORS
    if not organization.is_active:
        return "该组织已撤销或已合并"
    return ""


def history_context(user, organization: Organization) -> dict[str, Any]:
    """What the organization's page shows of its history: former names, moves, what was merged into it,
    and whether the user may end it."""
    return {
        "former_names": list(former_names(organization=organization)),
        "moves": list(organization_moves(organization=organization)[:10]),
        "merged_from": merged_organizations(user=user, organization=organization),
        "can_end": not end_refusal(user, organization),
    }


def _end_page(request, *, form, organization: Organization, title: str, submit: str, note: str):
    return render(
        request,
        "web/form_page.html",
        {
            "form": form,
            "title": title,
            "organization": organization,
            "submit": submit,
            "note": note,
            "cancel_url": reverse("orgs:detail", args=[organization.pk]),
        },
    )


def _checked(request, pk) -> Organization:
    organization = access_organization(request.user, pk, write=True)
    refusal = end_refusal(request.user, organization)
    if refusal:
        raise PermissionDenied(refusal)
    return organization


def _contents(organization: Organization) -> tuple[int, int]:
    return Member.objects.filter(organization=organization).count(), Organization.objects.get_children_count(
        organization
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_merge_view(request, pk):
    organization = _checked(request, pk)
    form = OrganizationMergeForm(request.POST or None, user=request.user, organization=organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organization_merge(
                source=organization, into=data["into"], on=data["on"], reason=data["reason"], actor=request.user
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"已将“{organization.name}”并入“{data['into'].name}”")
            return redirect("orgs:detail", data["into"].pk)
    members, children = _contents(organization)
    return _end_page(
        request,
        form=form,
        organization=organization,
        title=f"合并组织：{organization.name}",
        submit="确认合并",
        note=(
            f"本组织的 {members} 名党员（班子职务随之取消）和 {children} 个下级组织将转入并入组织；"
            "本组织设为无效，其星级台账、各项记录和换届记录保留，可从并入组织的页面查看。"
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_dissolve_view(request, pk):
    organization = _checked(request, pk)
    form = OrganizationEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organization_dissolve(organization=organization, on=data["on"], reason=data["reason"], actor=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"已撤销：{organization.name}")
            return redirect("orgs:detail", organization.pk)
    members, children = _contents(organization)
    return _end_page(
        request,
        form=form,
        organization=organization,
        title=f"撤销组织：{organization.name}",
        submit="确认撤销",
        note=(
            f"本组织现有党员 {members} 名、下级组织 {children} 个；有党员或有效的下级组织时不能撤销。"
            "撤销后其星级台账、各项记录和换届记录保留。"
        ),
    )
