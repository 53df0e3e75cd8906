"""The 晋位争星 pages: one organization's way to each higher level, a superior's list of who is close or at risk.

Every organization is reached through ``xingji.accounts.access`` and every
campaign through ``xingji.campaigns.access`` (404 outside the user's subtree,
as for a missing one); the list holds only the organizations of the user's
subtree. The figures come from ``xingji.campaigns.guidance``; these views read
only, so any role that sees an organization may open them.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from xingji.accounts.access import SELF_ROLES, access_organization, can_write
from xingji.accounts.decorators import login_required
from xingji.accounts.models import User
from xingji.campaigns import access
from xingji.campaigns import guidance as selectors
from xingji.campaigns.models import Campaign
from xingji.common.exports import export_stamp, xlsx_response
from xingji.common.pagination import paginate

#: The engine's step is computed for the rows of one page only.
PER_PAGE = 25
#: An export computes the steps of this many rows at a time (their facts in a fixed number of queries each).
EXPORT_CHUNK = 500


class GuidanceFilterForm(forms.Form):
    campaign = forms.TypedChoiceField(label="评定活动", required=False, coerce=int, empty_value=None)
    risk = forms.ChoiceField(label="范围", required=False, choices=[("", "全部组织"), ("1", "只看有降级风险的")])
    sort = forms.ChoiceField(
        label="排序",
        required=False,
        choices=[(key, f"按{label}") for key, label in selectors.SORTS.items()]
        + [(f"-{key}", f"按{label}（倒序）") for key, label in selectors.SORTS.items()],
    )

    def __init__(self, *args: Any, campaigns: list[Campaign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["campaign"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(campaign.pk, campaign.name) for campaign in campaigns]


def _user(request: HttpRequest) -> User:
    """The logged-in user (every view here is ``login_required``)."""
    return cast(User, request.user)


def _chosen(request: HttpRequest) -> tuple[GuidanceFilterForm, Campaign | None, str, bool]:
    """The filter form, the campaign (asked for, else the latest rated one), the sort and the risk filter.

    A campaign asked for that the user does not see is a 404 (``access_campaign``).
    """
    campaigns = list(selectors.guidance_campaigns(_user(request)))
    asked = request.GET.get("campaign") or ""
    campaign: Campaign | None
    if asked:
        campaign = access.access_campaign(_user(request), asked if asked.isdigit() else 0)
        if campaign not in campaigns:
            campaigns.append(campaign)
    else:
        campaign = campaigns[0] if campaigns else None
    initial = {"campaign": campaign.pk if campaign is not None else None, "sort": selectors.DEFAULT_SORT}
    form = GuidanceFilterForm(request.GET or None, campaigns=campaigns, initial=initial)
    sort = request.GET.get("sort") or selectors.DEFAULT_SORT
    return form, campaign, sort, request.GET.get("risk") == "1"


def _sort_links(request: HttpRequest, sort: str) -> dict[str, dict[str, str]]:
    """For each sortable column: the URL that sorts by it (again: the other way) and its arrow."""
    column, descending = selectors.parse_sort(sort)
    links = {}
    for key in selectors.SORTS:
        params = request.GET.copy()
        params.pop("page", None)
        params["sort"] = f"-{key}" if key == column and not descending else key
        arrow = ("↓" if descending else "↑") if key == column else ""
        links[key] = {"url": f"?{params.urlencode()}", "arrow": arrow}
    return links


@login_required
@require_GET
def guidance_list(request: HttpRequest) -> HttpResponse:
    """The organizations of the user's subtree rated in a campaign: closest to the next level, at risk of falling."""
    form, campaign, sort, at_risk_only = _chosen(request)
    rows = []
    if campaign is not None:
        rows = selectors.guidance_rows(user=_user(request), campaign=campaign, sort=sort, at_risk_only=at_risk_only)
    page, query = paginate(request, rows, PER_PAGE)
    if campaign is not None:
        selectors.with_steps(page.object_list, campaign)
    export_query = request.GET.copy()
    export_query.pop("page", None)
    if campaign is not None:
        export_query["campaign"] = str(campaign.pk)
    return render(
        request,
        "campaigns/guidance_list.html",
        {
            "form": form,
            "campaign": campaign,
            "page_obj": page,
            "query": query,
            "sorts": _sort_links(request, sort),
            "risk_note": risk_note(),
            "export_url": f"{reverse('campaigns:guidance_export')}?{export_query.urlencode()}",
        },
    )


def risk_note() -> str:
    return (
        f"降级风险：最终得分高出本级分数线不足{selectors.margin_points()}分；"
        f"换届{selectors.ELECTION_WARNING_DAYS}天内到期或已逾期；满意率高出评定方案的满意率线不足5个百分点"
    )


EXPORT_HEADERS = [
    "党组织",
    "编号",
    "评定星级",
    "最终得分",
    "下一星级",
    "距下一星级（分）",
    "降级风险",
    "晋级所需",
    "评定理由",
]


@login_required
@require_GET
def guidance_export(request: HttpRequest) -> HttpResponse:
    """The list as Excel, every row (not just a page), in the page's order."""
    _form, campaign, sort, at_risk_only = _chosen(request)
    if campaign is None:
        return xlsx_response(f"晋位争星-{export_stamp()}.xlsx", "晋位争星", EXPORT_HEADERS, [], notes=["尚无评定结果"])
    rows = selectors.guidance_rows(user=_user(request), campaign=campaign, sort=sort, at_risk_only=at_risk_only)
    for start in range(0, len(rows), EXPORT_CHUNK):
        selectors.with_steps(rows[start : start + EXPORT_CHUNK], campaign)
    table = [
        [
            row.organization.name,
            row.organization.code,
            row.level_name,
            row.evaluation.final_score,
            row.next_level_name or "—",
            row.points_missing,
            row.risk_text,
            row.step_text,
            "；".join(str(reason.get("message", "")) for reason in row.evaluation.reasons or []),
        ]
        for row in rows
    ]
    notes = [f"评定活动：{campaign.name}", risk_note()]
    return xlsx_response(
        f"{campaign.name}-晋位争星-{export_stamp()}.xlsx", "晋位争星", EXPORT_HEADERS, table, notes=notes
    )


@login_required
@require_GET
def organization_guidance(request: HttpRequest, pk: int) -> HttpResponse:
    """One organization: its star, its last score with the reasons, and what it takes to reach each higher level."""
    user = _user(request)
    organization = access_organization(user, pk)
    level = request.GET.get("level")
    found = selectors.organization_guidance(organization, level=level)
    is_own = bool(
        can_write(user) and user.organization_id == organization.pk and (user.is_superuser or user.role in SELF_ROLES)
    )
    return render(
        request,
        "campaigns/guidance_organization.html",
        {
            "organization": organization,
            "guidance": found,
            "level": level or "",
            "can_plan": is_own,
        },
    )
