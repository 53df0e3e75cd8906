"""The rating schemes as their readers see them (评定方案): bands, criteria, bonuses, deductions, rules and quotas.

Each page is generated from the scheme's TOML (``xingji.rules.describe``), so
that what an office reads is what the engine applies: the shipped schemes,
and the text a campaign keeps (a campaign never changes with a later edit of
the file).
"""

from __future__ import annotations

from pathlib import Path

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from xingji.accounts.decorators import login_required
from xingji.campaigns import access
from xingji.rules.describe import describe
from xingji.rules.scheme import list_schemes, scheme_path

TOML_CONTENT_TYPE = "application/toml; charset=utf-8"


def _shipped_text(scheme_id: str) -> str:
    if scheme_id not in {info["id"] for info in list_schemes()}:
        raise Http404("没有这个评定方案")
    return Path(scheme_path(scheme_id)).read_text(encoding="utf-8")


@login_required
@require_GET
def scheme_list(request):
    return render(request, "campaigns/scheme_list.html", {"schemes": list_schemes()})


@login_required
@require_GET
def scheme_detail(request, scheme_id):
    description = describe(_shipped_text(scheme_id), source=f"{scheme_id}.toml")
    return render(
        request,
        "campaigns/scheme_detail.html",
        {"description": description, "scheme": description.scheme, "download_url": "toml/", "campaign": None},
    )


@login_required
@require_GET
def scheme_toml(request, scheme_id):
    return _toml_response(_shipped_text(scheme_id), f"{scheme_id}.toml")


@login_required
@require_GET
def campaign_scheme(request, pk):
    campaign = access.access_campaign(request.user, pk)
    description = describe(campaign.scheme_text, source=campaign.scheme_origin)
    return render(
        request,
        "campaigns/scheme_detail.html",
        {"description": description, "scheme": description.scheme, "download_url": "toml/", "campaign": campaign},
    )


@login_required
@require_GET
def campaign_scheme_toml(request, pk):
    campaign = access.access_campaign(request.user, pk)
    return _toml_response(campaign.scheme_text, f"{campaign.scheme_code}.toml")


def _toml_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type=TOML_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response
