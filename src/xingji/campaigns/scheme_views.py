"""The rating schemes as their readers see them (评定方案): bands, criteria, bonuses, deductions, rules and quotas.

Each page is generated from the scheme's TOML (``xingji.rules.describe``), so
that what an office reads is what the engine applies: the shipped schemes,
and the text a campaign keeps (a campaign never changes with a later edit of
the file).
"""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xingji.accounts.decorators import login_required
from xingji.campaigns import access
from xingji.campaigns.forms import SchemeUploadForm, ScopeFilterForm
from xingji.campaigns.services import scheme_upload
from xingji.common.pagination import paginate
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
    can_upload = access.is_office_for(request.user, campaign) and not _upload_refusal(campaign)
    return render(
        request,
        "campaigns/scheme_detail.html",
        {
            "description": description,
            "scheme": description.scheme,
            "download_url": "toml/",
            "campaign": campaign,
            "can_upload": can_upload,
        },
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


# --- an office uploads a scheme for its campaign: upload, preview, confirm -------------------

#: Where the upload waits for its confirmation: the session (kept on the server), per campaign.
UPLOAD_SESSION_KEY = "scheme_upload:{pk}"
CHANGED_PER_PAGE = 25


def _pending(request, campaign) -> dict | None:
    pending = request.session.get(UPLOAD_SESSION_KEY.format(pk=campaign.pk))
    return pending if isinstance(pending, dict) and {"text", "filename"} <= set(pending) else None


def _upload_refusal(campaign) -> list[str]:
    try:
        scheme_upload.scheme_upload_check(campaign)
    except ValidationError as error:
        return list(error.messages)
    return []


@login_required
@require_http_methods(["GET", "POST"])
def campaign_scheme_upload(request, pk):
    """The office uploads a scheme file: checked at once (line and reason), then previewed; nothing saved yet."""
    campaign = access.access_campaign(request.user, pk, write=True)
    refusal = _upload_refusal(campaign)
    form = SchemeUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and not refusal and form.is_valid():
        request.session[UPLOAD_SESSION_KEY.format(pk=campaign.pk)] = {
            "text": form.cleaned_data["text"],
            "filename": form.cleaned_data["filename"],
        }
        return redirect("campaigns:campaign_scheme_preview", pk=campaign.pk)
    return render(
        request,
        "campaigns/scheme_upload.html",
        {"campaign": campaign, "form": form, "refusal": refusal, "max_kb": scheme_upload.MAX_SCHEME_BYTES // 1024},
    )


@login_required
@require_GET
def campaign_scheme_preview(request, pk):
    """What the uploaded scheme would make of last year's results, and its description; confirm or cancel."""
    campaign = access.access_campaign(request.user, pk, write=True)
    pending = _pending(request, campaign)
    if pending is None:
        messages.info(request, "请先上传评定方案文件")
        return redirect("campaigns:campaign_scheme_upload", pk=campaign.pk)
    try:
        preview = scheme_upload.scheme_upload_preview(campaign, pending["text"], pending["filename"])
    except ValidationError as error:
        request.session.pop(UPLOAD_SESSION_KEY.format(pk=campaign.pk), None)
        messages.error(request, "；".join(error.messages))
        return redirect("campaigns:campaign_scheme_upload", pk=campaign.pk)
    form = ScopeFilterForm(request.GET)
    form.is_valid()
    search = (getattr(form, "cleaned_data", {}).get("q") or "").strip()
    changed = (
        [row for row in preview.changed if search in row.name or search in row.code] if search else preview.changed
    )
    page, query = paginate(request, changed, CHANGED_PER_PAGE)
    return render(
        request,
        "campaigns/scheme_preview.html",
        {
            "campaign": campaign,
            "preview": preview,
            "description": preview.description,
            "scheme": preview.scheme,
            "filename": pending["filename"],
            "no_previous": scheme_upload.NO_PREVIOUS,
            "refusal": _upload_refusal(campaign),
            "form": form,
            "page_obj": page,
            "query": query,
            "listed_count": len(changed),
        },
    )


@login_required
@require_POST
def campaign_scheme_confirm(request, pk):
    """The office confirms the previewed scheme (its SHA-256 posted back): the campaign keeps it."""
    campaign = access.access_campaign(request.user, pk, write=True)
    pending = _pending(request, campaign)
    if pending is None:
        messages.error(request, "没有待确认的评定方案，请重新上传并预览")
        return redirect("campaigns:campaign_scheme_upload", pk=campaign.pk)
    try:
        scheme_upload.campaign_scheme_upload(
            campaign=campaign,
            text=pending["text"],
            filename=pending["filename"],
            sha256=request.POST.get("sha256", ""),
            actor=request.user,
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("campaigns:campaign_scheme_preview", pk=campaign.pk)
    request.session.pop(UPLOAD_SESSION_KEY.format(pk=campaign.pk), None)
    messages.success(request, "评定方案已更换，本次评定将按新方案评定")
    return redirect("campaigns:campaign_scheme", pk=campaign.pk)


@login_required
@require_POST
def campaign_scheme_cancel(request, pk):
    """The office drops the uploaded scheme without saving it."""
    campaign = access.access_campaign(request.user, pk, write=True)
    request.session.pop(UPLOAD_SESSION_KEY.format(pk=campaign.pk), None)
    messages.info(request, "已取消上传，评定方案未更换")
    return redirect("campaigns:campaign_scheme", pk=campaign.pk)
