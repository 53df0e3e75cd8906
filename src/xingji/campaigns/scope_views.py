"""A campaign's setup pages besides its settings: who takes part (参评组织) and the quota mode (比例控制).

The scope page lists ``scope.scope_organizations``, the very set that
opening gives an evaluation, before and after the campaign opens, with what
opening would refuse. The quota mode page changes the mode until the first
rating run, and shows it locked afterwards.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from xingji.accounts.access import visible_organizations
from xingji.accounts.decorators import login_required
from xingji.campaigns import access, scope, selectors, services
from xingji.campaigns.forms import CampaignQuotaModeForm, ScopeFilterForm
from xingji.campaigns.models import Campaign, CampaignState
from xingji.common.forms import add_service_error
from xingji.common.pagination import paginate


def _open_problems(campaign: Campaign, organizations) -> list[str]:
    """What ``services.campaign_open`` (and its page) would refuse, said before the office presses the button."""
    problems = []
    if not organizations.exists():
        problems.append("评定范围内没有下级组织")
    without_criteria = scope.categories_without_criteria(campaign, organizations)
    if without_criteria:
        problems.append(f"评定方案没有适用于“{'、'.join(without_criteria)}”类组织的评定内容")
    try:
        services.deadline_check(campaign.deadline)
    except ValidationError as error:
        problems.extend(error.messages)
    return problems


@login_required
@require_GET
def campaign_scope(request, pk):
    """The organizations that take part (参评组织): searchable, paginated, counted; those the user sees."""
    campaign = access.access_campaign(request.user, pk)
    everyone = scope.scope_organizations(campaign)
    organizations = everyone.filter(pk__in=visible_organizations(request.user).values("pk"))
    form = ScopeFilterForm(request.GET)
    form.is_valid()
    search = (getattr(form, "cleaned_data", {}).get("q") or "").strip()
    listed = organizations.filter(Q(name__icontains=search) | Q(code__icontains=search)) if search else organizations
    page, query = paginate(request, listed)
    levels = selectors.current_levels(organization.pk for organization in page)
    is_draft = campaign.state == CampaignState.DRAFT
    is_office = access.is_office_for(request.user, campaign)
    rows = [
        {
            "organization": organization,
            "newly_founded": scope.is_newly_founded(campaign, organization),
            "level": campaign.level_name(levels.get(organization.pk)),
        }
        for organization in page
    ]
    return render(
        request,
        "campaigns/scope.html",
        {
            "campaign": campaign,
            "form": form,
            "page_obj": page,
            "query": query,
            "rows": rows,
            "count": organizations.count(),
            "listed_count": page.paginator.count,
            "is_draft": is_draft,
            "is_office": is_office,
            "problems": _open_problems(campaign, everyone) if is_draft and is_office else [],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_quota_mode(request, pk):
    """The office changes the quota mode until the first rating run; afterwards the field shows locked."""
    campaign = access.access_campaign(request.user, pk, write=True)
    form = CampaignQuotaModeForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_quota_mode_change(
                campaign=campaign, quota_mode=form.cleaned_data["quota_mode"], actor=request.user
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "比例控制方式已修改")
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(
        request,
        "campaigns/quota_mode.html",
        {
            "title": f"比例控制：{campaign.name}",
            "campaign": campaign,
            "form": form,
            "locked": form.locked,
            "cancel_url": reverse("campaigns:detail", args=[campaign.pk]),
        },
    )
