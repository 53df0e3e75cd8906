"""The audit page of the committee office: filter, export, and verify the hash chain.

Only ``can_read_audit`` users (the committee office, superusers) get here;
everyone else gets 403. The log is append-only: nothing here changes it.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from xingji.accounts.access import can_read_audit
from xingji.accounts.decorators import login_required
from xingji.audit.chain import check_chain, head_hash
from xingji.audit.forms import AuditFilterForm
from xingji.audit.labels import action_label, object_type_label
from xingji.audit.selectors import audit_entry_list, audit_kinds_present
from xingji.common.exports import csv_response, export_stamp, xlsx_response
from xingji.common.pagination import paginate

PER_PAGE = 50


def _require_auditor(user) -> None:
    if not can_read_audit(user):
        raise PermissionDenied("只有市直工委组织部可以查看审计日志")


def _filtered(request, *, with_choices: bool = False):
    form = AuditFilterForm(request.GET, present=audit_kinds_present() if with_choices else ())
    form.is_valid()
    return form, audit_entry_list(**form.selector_filters())


@login_required
@require_GET
def entry_list(request):
    _require_auditor(request.user)
    form, entries = _filtered(request, with_choices=True)
    page, query = paginate(request, entries, PER_PAGE)
    return render(
        request,
        "audit/entry_list.html",
        {
            "filter_form": form,
            "page_obj": page,
            "query": query,
            "export_query": query.rstrip("&"),
            "head_hash": head_hash(),
        },
    )


def _json_text(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


@login_required
@require_GET
def entry_export(request):
    """The filtered entries as XLSX (default) or CSV (``?format=csv``), the chain head hash at the end.

    The action and the object type appear twice: by their Chinese names to
    read, and as the codes the log stores (and hashes) to check against.
    """
    _require_auditor(request.user)
    _, entries = _filtered(request)
    headers = [
        "序号",
        "时间",
        "操作人",
        "操作",
        "操作代码",
        "对象类型",
        "对象类型代码",
        "对象编号",
        "对象",
        "修改前",
        "修改后",
        "哈希",
    ]
    rows = (
        [
            entry.sequence,
            entry.created_at,
            entry.actor_name,
            action_label(entry.action),
            entry.action,
            object_type_label(entry.object_type),
            entry.object_type,
            entry.object_id,
            entry.object_repr,
            _json_text(entry.before),
            _json_text(entry.after),
            entry.hash,
        ]
        for entry in entries.iterator(chunk_size=2000)
    )
    notes = [f"导出时审计链头哈希：{head_hash()}"]
    name = f"审计日志-{export_stamp()}"
    if request.GET.get("format") == "csv":
        return csv_response(f"{name}.csv", headers, rows, notes=notes)
    return xlsx_response(f"{name}.xlsx", "审计日志", headers, rows, notes=notes)


@login_required
@require_POST
def verify(request):
    """Walk the whole chain now and report the result on the audit page."""
    _require_auditor(request.user)
    status = check_chain()
    if status.is_intact:
        messages.success(request, f"校验通过：{status.count} 条审计记录，哈希链完整。链头哈希 {status.head_hash}")
    else:
        messages.error(
            request,
            f"校验失败：第一条有问题的记录 {status.broken}。此前 {status.count} 条完好。",
        )
    return redirect("audit:entry_list")
