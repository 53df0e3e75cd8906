"""The pages of organizational life: the overview of the branches below, a branch's year, a meeting, the import;
a superior's meetings for its subordinate organizations (``unit_meetings``) with their units' attendance.

Thin views: every object is reached through ``xingji.branchwork.access``
(404 outside the user's subtree), every change is one service call, which
checks the actor again. A refusal of the data shows on the form; a role that
may not write gets 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xingji.accounts.access import (
    NOT_FOUND,
    READ_ONLY,
    access_member,
    access_organization,
    can_write,
    visible_organizations,
)
from xingji.accounts.decorators import login_required
from xingji.branchwork import access, selectors, services, spreadsheets
from xingji.branchwork.forms import (
    AppraisalForm,
    AttachmentForm,
    FollowUpForm,
    ImportForm,
    MeetingForm,
    OverviewFilterForm,
    initial_of,
    unit_status_field_name,
)
from xingji.branchwork.models import (
    BRANCH_KINDS,
    CONVENED_KINDS,
    Appraisal,
    AttendanceStatus,
    FollowUpKind,
    Grade,
)
from xingji.common.forms import add_service_error
from xingji.common.pagination import paginate
from xingji.common.views import attempt, run_import
from xingji.records.attachments import attachment_response
from xingji.records.spreadsheets import XLSX_CONTENT_TYPE
from xingji.rules.frequencies import KINDS, PERIOD_LABELS


def _year(request, today) -> int:
    try:
        year = int(request.GET.get("year", today.year))
    except (TypeError, ValueError):
        return today.year
    return year if 2000 <= year <= today.year else today.year


def _kind_headers() -> list[str]:
    return [selectors.kind_label(kind) for kind in KINDS]


@login_required
@require_GET
def overview(request):
    """The branches of the user's subtree, each with this period's meetings and the year's missing ones."""
    today = timezone.localdate()
    form = OverviewFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    year = filters.get("year") or today.year
    if year > today.year:
        year = today.year
    branches = selectors.branches_under(user=request.user, search=(filters.get("q") or "").strip())
    pending = request.GET.get("pending", "")
    if pending in KINDS:
        pending_ids = [
            compliance.organization.pk
            for compliance in selectors.current_compliance_of(branches, today=today)
            if any(summary.kind == pending for summary in compliance.pending)
        ]
        branches = branches.filter(pk__in=pending_ids)
    page, query = paginate(request, branches)
    rows = []
    for compliance in selectors.compliance_of(list(page.object_list), year=year, today=today):
        by_kind = {summary.kind: summary for summary in compliance.kinds}
        rows.append(
            {
                "compliance": compliance,
                "cells": [(kind, by_kind.get(kind)) for kind in KINDS],
            }
        )
    return render(
        request,
        "branchwork/overview.html",
        {
            "filter_form": form,
            "page_obj": page,
            "query": query,
            "rows": rows,
            "year": year,
            "current_year": year == today.year,
            "kind_headers": _kind_headers(),
            "pending_label": selectors.kind_label(pending) if pending in KINDS else "",
            "can_write": can_write(request.user),
            # A superior's own meetings for its subordinates are listed on its page of them.
            "own_convener": request.user.organization
            if request.user.organization_id is not None and access.is_convener(request.user.organization)
            else None,
        },
    )


@login_required
@require_GET
def branch(request, pk):
    organization = access.access_branch(request.user, pk)
    today = timezone.localdate()
    year = _year(request, today)
    compliance = selectors.branch_compliance(organization=organization, year=year, today=today)
    kinds = [
        {
            "summary": summary,
            "label": selectors.kind_label(summary.kind),
            "period": PERIOD_LABELS[summary.period],
            "missing": "、".join(status.span.label for status in summary.missing),
        }
        for summary in compliance.kinds
    ]
    return render(
        request,
        "branchwork/branch.html",
        {
            "organization": organization,
            "year": year,
            "years": list(range(today.year, today.year - 5, -1)),
            "kinds": kinds,
            "compliance": compliance,
            "meetings": selectors.meeting_list(user=request.user, organization=organization, year=year),
            "can_record": access.may_record(request.user, organization),
            # The appraisal of a year is held at its end or early in the next: the year viewed, never the future.
            "appraisal_year": year,
        },
    )


def _home_url(organization) -> str:
    """Where an organization's meetings are listed: a branch's page, or a superior's convened meetings."""
    if access.is_convener(organization):
        return reverse("branchwork:unit_meetings", args=[organization.pk])
    return reverse("branchwork:branch", args=[organization.pk])


def _meeting_form_page(request, form, *, organization, title, cancel_url, meeting=None):
    return render(
        request,
        "branchwork/meeting_form.html",
        {
            "form": form,
            "organization": organization,
            "title": title,
            "cancel_url": cancel_url,
            "meeting": meeting,
            "home_url": _home_url(organization),
            "convened": access.is_convener(organization),
        },
    )


def _form_for(request, organization, initial, *, meeting=None):
    """The meeting form of a branch (its roll) or of a superior (its subordinate units)."""
    if not access.is_convener(organization):
        return MeetingForm(request.POST or None, initial=initial, members=selectors.roll(organization))
    units = selectors.subordinate_units(organization)
    if meeting is not None:
        listed = {unit.pk for unit in units}
        units += [row.organization for row in selectors.meeting_units(meeting) if row.organization_id not in listed]
    else:
        for unit in units:
            initial[unit_status_field_name(unit.pk)] = AttendanceStatus.PRESENT
    return MeetingForm(request.POST or None, initial=initial, units=units, kinds=CONVENED_KINDS)


def _create(request, organization, kinds):
    initial = {"kind": request.GET["kind"]} if request.GET.get("kind") in kinds else {}
    initial["held_on"] = timezone.localdate()
    form = _form_for(request, organization, initial)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_record(
                organization=organization,
                facts=form.facts(),
                attendance=form.attendance(),
                units=form.unit_entries(),
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "已登记会议，可继续上传照片或签到表")
            return redirect("branchwork:meeting_detail", pk=meeting.pk)
    return _meeting_form_page(
        request,
        form,
        organization=organization,
        title=f"登记会议：{organization.name}",
        cancel_url=_home_url(organization),
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request, pk):
    organization = access.access_branch(request.user, pk)
    access.require_record(request.user, organization)
    return _create(request, organization, BRANCH_KINDS)


@login_required
@require_GET
def unit_meetings(request, pk):
    """The meetings an organization convened for its subordinates (a branch: its own page)."""
    organization = access_organization(request.user, pk)
    if not access.is_convener(organization):
        return redirect("branchwork:branch", pk=organization.pk)
    today = timezone.localdate()
    year = _year(request, today)
    return render(
        request,
        "branchwork/unit_meetings.html",
        {
            "organization": organization,
            "year": year,
            "years": list(range(today.year, today.year - 5, -1)),
            "meetings": selectors.convened_meetings(user=request.user, organization=organization, year=year),
            "can_record": access.may_convene(request.user, organization),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def unit_meeting_create(request, pk):
    """Record a meeting the organization convened, with its units' attendance (a branch: its own form)."""
    organization = access_organization(request.user, pk)
    if not access.is_convener(organization):
        access.require_record(request.user, organization)
        return redirect("branchwork:meeting_create", pk=organization.pk)
    access.require_convene(request.user, organization)
    return _create(request, organization, CONVENED_KINDS)


@login_required
@require_GET
def meeting_detail(request, pk):
    meeting = access.access_meeting(request.user, pk)
    return render(
        request,
        "branchwork/meeting_detail.html",
        {
            "meeting": meeting,
            "attendances": selectors.meeting_with_attendance(meeting),
            "units": selectors.meeting_units(meeting),
            "convened": access.is_convener(meeting.organization),
            "home_url": _home_url(meeting.organization),
            "attachments": services.meeting_attachments(meeting),
            "can_record": access.may_change_meeting(request.user, meeting),
            "attachment_form": AttachmentForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk):
    meeting = access.access_meeting(request.user, pk)
    access.require_change_meeting(request.user, meeting)
    units = selectors.meeting_units(meeting)
    initial = initial_of(meeting, selectors.meeting_with_attendance(meeting), units)
    form = _form_for(request, meeting.organization, initial, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(
                meeting=meeting,
                facts=form.facts(),
                attendance=form.attendance(),
                units=form.unit_entries() if access.is_convener(meeting.organization) else None,
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "已保存会议")
            return redirect("branchwork:meeting_detail", pk=meeting.pk)
    return _meeting_form_page(
        request,
        form,
        organization=meeting.organization,
        title=f"修改会议：{meeting.organization.name}",
        cancel_url=reverse("branchwork:meeting_detail", args=[meeting.pk]),
        meeting=meeting,
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_delete(request, pk):
    """Delete a meeting after a confirmation page: its attendance, its units' records and its attachments go."""
    meeting = access.access_meeting(request.user, pk)
    access.require_change_meeting(request.user, meeting)
    if request.method == "POST":
        home = _home_url(meeting.organization)
        if attempt(
            request,
            services.meeting_delete,
            success=f"已删除会议“{meeting.topic}”",
            meeting=meeting,
            actor=request.user,
        ):
            return redirect(home)
        return redirect("branchwork:meeting_detail", pk=meeting.pk)
    return render(
        request,
        "branchwork/meeting_confirm_delete.html",
        {
            "meeting": meeting,
            "home_url": _home_url(meeting.organization),
            "attendance_count": meeting.attendances.count(),
            "units": selectors.meeting_units(meeting),
            "attachment_count": services.meeting_attachments(meeting).count(),
        },
    )


@login_required
@require_POST
def attachment_upload(request, pk):
    meeting = access.access_meeting(request.user, pk)
    access.require_change_meeting(request.user, meeting)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择要上传的照片或扫描件")
    else:
        upload = form.cleaned_data["file"]
        attempt(
            request,
            services.meeting_attachment_add,
            success=f"已上传“{upload.name}”",
            meeting=meeting,
            upload=upload,
            name=upload.name,
            size=upload.size,
            actor=request.user,
        )
    return redirect("branchwork:meeting_detail", pk=meeting.pk)


def _attachment_of(meeting, attachment_pk):
    attachment = services.meeting_attachments(meeting).filter(pk=attachment_pk).first()
    if attachment is None:
        raise Http404(NOT_FOUND)
    return attachment


@login_required
@require_GET
def attachment(request, pk, attachment_pk):
    meeting = access.access_meeting(request.user, pk)
    return attachment_response(_attachment_of(meeting, attachment_pk))


@login_required
@require_POST
def attachment_delete(request, pk, attachment_pk):
    meeting = access.access_meeting(request.user, pk)
    found = _attachment_of(meeting, attachment_pk)
    access.require_change_meeting(request.user, meeting)
    attempt(
        request,
        services.meeting_attachment_delete,
        success=f"已删除“{found.display_name}”",
        meeting=meeting,
        attachment=found,
        actor=request.user,
    )
    return redirect("branchwork:meeting_detail", pk=meeting.pk)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_import(request):
    if not can_write(request.user):
        raise PermissionDenied(READ_ONLY)
    errors = []
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        organizations = visible_organizations(request.user)
        count, errors = run_import(
            form.cleaned_data["file"],
            lambda content, filename: spreadsheets.import_meetings(
                content=content, organizations=organizations, actor=request.user, filename=filename
            ),
        )
        if not errors:
            messages.success(request, f"已导入 {count} 次会议")
            return redirect("branchwork:overview")
    return render(request, "branchwork/import.html", {"form": form, "errors": errors})


@login_required
@require_GET
def import_template(request):
    content = spreadsheets.render_template(organizations=visible_organizations(request.user))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, "组织生活会议-导入模板.xlsx") or "attachment"
    return response


# --- the yearly appraisal (民主评议党员) --------------------------------------------------------------


def _appraisal_year(year: int) -> int:
    """A year in the URL: 404 before 2000 and after this year."""
    if not 2000 <= year <= timezone.localdate().year:
        raise Http404(NOT_FOUND)
    return year


@login_required
@require_GET
def appraisal_overview(request):
    """The branches of the user's subtree with the coverage of their appraisal of a year (last year unless asked)."""
    today = timezone.localdate()
    form = OverviewFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    year = filters.get("year") or today.year - 1
    year = min(year, today.year)
    branches = selectors.branches_under(user=request.user, search=(filters.get("q") or "").strip())
    page, query = paginate(request, branches)
    return render(
        request,
        "branchwork/appraisal_overview.html",
        {
            "filter_form": form,
            "page_obj": page,
            "query": query,
            "year": year,
            "summaries": selectors.appraisal_summaries(list(page.object_list), year=year),
            "grade_labels": [str(label) for label in Grade.labels],
        },
    )


def _appraisal_page(request, organization, year, form, appraisal, rows):
    may_record = access.may_record(request.user, organization)
    unqualified = [
        row
        for row in rows
        if row.grade is not None and row.grade.grade == Grade.UNQUALIFIED and not hasattr(row.grade, "follow_up")
    ]
    return render(
        request,
        "branchwork/appraisal.html",
        {
            "organization": organization,
            "year": year,
            "years": list(range(timezone.localdate().year, timezone.localdate().year - 5, -1)),
            "form": form,
            "appraisal": appraisal,
            "rows": rows,
            "summary": selectors.appraisal_summary(organization=organization, year=year),
            "can_record": may_record,
            "pending_follow_ups": [
                (row, FollowUpForm(auto_id=f"id_follow_up_{row.member.pk}_%s")) for row in unqualified
            ]
            if may_record
            else [],
            "follow_ups": [row for row in rows if row.grade is not None and hasattr(row.grade, "follow_up")],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def appraisal(request, pk, year):
    """The branch's appraisal of a year: read by anyone who sees the branch, recorded by its appraisers."""
    organization = access.access_branch(request.user, pk)
    year = _appraisal_year(year)
    if request.method == "POST":
        access.require_appraise(request.user, organization)
    found = Appraisal.objects.filter(organization=organization, year=year).first()
    rows = selectors.appraisal_sheet(organization=organization, appraisal=found)
    initial = {"conclusion": found.conclusion} if found else {}
    form = AppraisalForm(request.POST or None, initial=initial, rows=rows)
    if request.method == "POST" and form.is_valid():
        try:
            services.appraisal_save(
                organization=organization,
                year=year,
                grades=form.grades(),
                conclusion=form.cleaned_data["conclusion"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"已保存{year}年度民主评议党员")
            return redirect("branchwork:appraisal", pk=organization.pk, year=year)
    return _appraisal_page(request, organization, year, form, found, rows)


@login_required
@require_POST
def appraisal_follow_up(request, pk, year, member_pk):
    """Decide what follows a 不合格 grade; its item goes on the branch's rectification ledger."""
    organization = access.access_branch(request.user, pk)
    year = _appraisal_year(year)
    access.require_appraise(request.user, organization)
    found = Appraisal.objects.filter(organization=organization, year=year).first()
    if found is None:
        raise Http404(NOT_FOUND)
    member = access_member(request.user, member_pk)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        problems = "；".join(f"{form.fields[name].label}：{errors[0]}" for name, errors in form.errors.items())
        messages.error(request, f"党员“{member.name}”的组织处置未保存：{problems}")
    else:
        data = form.cleaned_data
        attempt(
            request,
            services.appraisal_follow_up_open,
            success=f"已对党员“{member.name}”作出组织处置（{FollowUpKind(data['kind']).label}），并列入整改台账",
            appraisal=found,
            member=member,
            kind=data["kind"],
            deadline=data["deadline"],
            measures=data["measures"],
            actor=request.user,
        )
    return redirect("branchwork:appraisal", pk=organization.pk, year=year)
