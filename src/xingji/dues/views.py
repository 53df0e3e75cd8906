"""The pages of the dues (党费).

Thin views: every organization, member and reduction is reached through the
access functions (404 outside the user's subtree, 403 for a read-only role
asked to write), every change is one service call, which checks again.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xingji.accounts.access import READ_ONLY, access_member, access_organization, can_write
from xingji.accounts.decorators import login_required
from xingji.common.forms import add_service_error
from xingji.common.views import attempt, run_import
from xingji.dues import access, selectors, services, spreadsheets
from xingji.dues.forms import AccountForm, ImportForm, PaymentForm, ReductionForm, YearForm
from xingji.dues.selectors import FLAG_MONTHS, WARNING_MONTHS
from xingji.orgs.models import Member


def _year(request) -> int:
    form = YearForm(request.GET or None)
    if form.is_valid() and form.cleaned_data.get("year"):
        return form.cleaned_data["year"]
    return timezone.localdate().year


def _check_can_write(user) -> None:
    if not can_write(user):
        raise PermissionDenied(READ_ONLY)


@login_required
@require_GET
def index(request):
    """The user's tree: each organization's year, rolled up (the branch page lists the members)."""
    user = request.user
    today = timezone.localdate()
    year = _year(request)
    entries = selectors.tree_totals(user, today=today, year=year)
    return render(
        request,
        "dues/index.html",
        {"entries": entries, "year": year, "years": range(today.year, today.year - 5, -1)},
    )


@login_required
@require_GET
def export(request):
    today = timezone.localdate()
    year = _year(request)
    return spreadsheets.export_response(
        selectors.tree_totals(request.user, today=today, year=year), year=year, today=today
    )


@login_required
@require_GET
def branch(request, pk):
    """One organization's members: amount, this year's payments, arrears."""
    organization = access_organization(request.user, pk)
    today = timezone.localdate()
    year = _year(request)
    rows = selectors.member_dues(Member.objects.filter(organization=organization), today=today, year=year)
    totals = selectors.tree_totals(request.user, today=today, year=year, under=organization)
    return render(
        request,
        "dues/branch.html",
        {
            "organization": organization,
            "rows": rows,
            "year": year,
            "totals": totals[0] if totals else None,
            "below": totals[1:],
            "can_write": can_write(request.user),
            "warning_months": WARNING_MONTHS,
            "flag_months": FLAG_MONTHS,
        },
    )


@login_required
@require_GET
def member(request, pk):
    found = access_member(request.user, pk)
    today = timezone.localdate()
    dues = selectors.one_member_dues(found, today=today, year=today.year)
    return render(
        request,
        "dues/member.html",
        {
            "member": found,
            "dues": dues,
            "payments": selectors.member_payments(found),
            "reductions": selectors.member_reductions(found),
            "can_write": can_write(request.user),
            "may_propose": can_write(request.user) and access.may_propose(request.user, found),
            "may_decide": can_write(request.user) and access.may_decide(request.user, found),
            "warning_months": WARNING_MONTHS,
            "flag_months": FLAG_MONTHS,
        },
    )


def _form_page(request, form, *, member, title, submit="保存", note=""):
    return render(
        request,
        "dues/form.html",
        {
            "form": form,
            "member": member,
            "title": title,
            "submit": submit,
            "note": note,
            "cancel_url": reverse("dues:member", args=[member.pk]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request, pk):
    found = access_member(request.user, pk, write=True)
    account = getattr(found, "dues_account", None)
    form = AccountForm(request.POST or None, initial=AccountForm.initial_for(account))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.dues_account_set(
                member=found,
                category=data["category"],
                base=data["base"],
                chosen_amount=data["chosen_amount"],
                since=data["since"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"已保存{found.name}的党费基数")
            return redirect("dues:member", found.pk)
    return _form_page(request, form, member=found, title=f"{found.name}的党费基数")


@login_required
@require_http_methods(["GET", "POST"])
def payment_create(request, pk):
    found = access_member(request.user, pk, write=True)
    today = timezone.localdate()
    dues = selectors.one_member_dues(found, today=today, year=today.year)
    initial = {"paid_on": today, "month": dues.unpaid[0] if dues.unpaid else today.replace(day=1)}
    if dues.amount:
        initial["amount"] = dues.amount
    form = PaymentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.dues_payment_record(
                member=found, month=data["month"], amount=data["amount"], paid_on=data["paid_on"], actor=request.user
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"已登记{found.name}{data['month']:%Y年%m月}的党费")
            return redirect("dues:member", found.pk)
    return _form_page(request, form, member=found, title=f"登记{found.name}的党费", submit="登记")


@login_required
@require_http_methods(["GET", "POST"])
def reduction_propose(request, pk):
    found = access_member(request.user, pk, write=True)
    access.require_propose(request.user, found)
    form = ReductionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dues_reduction_propose(
                member=found, amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"], actor=request.user
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "已提出党费减免，待上级党组织审批；批准前按规定标准交纳")
            return redirect("dues:member", found.pk)
    return _form_page(
        request,
        form,
        member=found,
        title=f"为{found.name}提出党费减免",
        submit="提交上级审批",
        note="困难党员经支部提出、上一级党组织批准后，可减少或免交党费；批准前按规定标准交纳。",
    )


def _decide(request, pk, service, success):
    reduction = access.access_reduction(request.user, pk)
    access.require_decide(request.user, reduction.member)
    attempt(request, service, success=success, reduction=reduction, actor=request.user)
    return redirect("dues:member", reduction.member_id)


@login_required
@require_POST
def reduction_approve(request, pk):
    return _decide(request, pk, services.dues_reduction_approve, "已批准党费减免")


@login_required
@require_POST
def reduction_reject(request, pk):
    return _decide(request, pk, services.dues_reduction_reject, "已退回党费减免申请，按规定标准交纳")


@login_required
@require_http_methods(["GET", "POST"])
def payment_import(request, pk):
    organization = access_organization(request.user, pk, write=True)
    errors = []
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        count, errors = run_import(
            form.cleaned_data["file"],
            lambda content, filename: spreadsheets.import_payments(
                organization=organization, content=content, actor=request.user, filename=filename
            ),
        )
        if not errors:
            messages.success(request, f"已导入 {count} 笔党费")
            return redirect("dues:branch", organization.pk)
    return render(request, "dues/import.html", {"form": form, "errors": errors, "organization": organization})


@login_required
@require_GET
def import_template(request, pk):
    organization = access_organization(request.user, pk)
    return spreadsheets.template_response(organization)
