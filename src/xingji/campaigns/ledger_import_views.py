"""The star-ledger import page of the committee office (历史星级台账导入): upload, template, result."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from xingji.accounts.access import visible_organizations
from xingji.accounts.decorators import login_required
from xingji.campaigns import ledger_import
from xingji.common.tabular import ACCEPT, ACCEPTED_TEXT
from xingji.common.views import run_import
from xingji.records.spreadsheets import XLSX_CONTENT_TYPE


class LedgerImportForm(forms.Form):
    file = forms.FileField(label="台账文件", widget=forms.FileInput(attrs={"accept": ACCEPT}), help_text=ACCEPTED_TEXT)


@login_required
@require_GET
def ledger_import_template(request):
    ledger_import.require_importer(request.user)
    content = ledger_import.render_template(organizations=visible_organizations(request.user))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, "星级管理台账-导入模板.xlsx")
    return response


@login_required
@require_http_methods(["GET", "POST"])
def ledger_import_page(request):
    ledger_import.require_importer(request.user)
    errors = []
    form = LedgerImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        entries, errors = run_import(
            form.cleaned_data["file"],
            lambda content, filename: ledger_import.import_file(content=content, actor=request.user, filename=filename),
        )
        if entries is not None:
            organizations = len({entry.organization_id for entry in entries})
            messages.success(request, f"已导入 {len(entries)} 条星级台账记录（{organizations} 个党组织）")
            return redirect("campaigns:ledger_import")
    return render(request, "campaigns/ledger_import.html", {"form": form, "errors": errors})
