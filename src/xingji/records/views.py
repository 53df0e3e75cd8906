"""The records pages: lists, forms, attachments, claims to confirm, Excel export and import.

Every page needs a login; every record and attachment is reached through
``xingji.records.access`` (404 outside the user's subtree, 403 with the reason
for a change the user may not make: a read-only role, a deduction of the
user's own organization, a record owned above); every change goes through
``xingji.records.services``. A page shows only the buttons that work for the
viewer (``access.Rules``).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xingji.accounts.access import access_organization
from xingji.accounts.decorators import login_required
from xingji.common.errors import ActionForbidden
from xingji.common.exports import export_stamp, xlsx_response
from xingji.common.forms import add_service_error
from xingji.common.pagination import paginate
from xingji.common.views import run_import
from xingji.records.access import (
    NOT_ISSUER,
    SELF_DEDUCTION,
    Rules,
    access_attachment,
    access_record,
    check_can_write,
    check_may_confirm,
    enterable_organizations,
    may_enter,
    visible_records,
)
from xingji.records.attachments import attachment_response
from xingji.records.forms import AttachmentForm, FactsForm, FilterForm, ImportForm, RejectForm, record_form_class
from xingji.records.kinds import KINDS, RecordKind, get_kind
from xingji.records.models import RecordStatus
from xingji.records.selectors import engine_facts, fact_lines, record_list, record_years
from xingji.records.services import (
    attachment_add,
    attachment_delete,
    record_confirm,
    record_create,
    record_delete,
    record_reject,
    record_update,
)
from xingji.records.spreadsheets import (
    XLSX_CONTENT_TYPE,
    export_headers,
    export_rows,
    import_records,
    render_template,
)


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename) or "attachment"
    return response


def _filtered(request, kind: RecordKind) -> tuple[FilterForm, object]:
    form = FilterForm(
        request.GET, kind=kind, user=request.user, years=record_years(user=request.user, model=kind.model)
    )
    records = record_list(user=request.user, model=kind.model, search_fields=kind.search_fields, **form.values())
    return form, records


def check_may_enter(user, kind: RecordKind) -> None:
    """Refuse (403, saying why) a user who may enter no record of this kind on these pages."""
    check_can_write(user)
    if not may_enter(user, kind.model):
        raise ActionForbidden(SELF_DEDUCTION if user.organization_id is not None else NOT_ISSUER)


@login_required
@require_GET
def index(request):
    """One card per kind of record, with how many the user can see this year (and how many claims wait)."""
    year = timezone.localdate().year
    cards = []
    for kind in KINDS.values():
        visible = visible_records(request.user, kind.model)
        card = {
            "kind": kind,
            "count": visible.filter(date__year=year).count(),
            "may_enter": may_enter(request.user, kind.model),
        }
        if kind.claimable:
            card["claimed"] = visible.filter(status=RecordStatus.CLAIMED).count()
        cards.append(card)
    return render(request, "records/index.html", {"cards": cards, "year": year})


@login_required
@require_GET
def record_list_view(request, kind):
    kind = get_kind(kind)
    form, records = _filtered(request, kind)
    page, query = paginate(request, records)
    rules = Rules(request.user)
    rows = [
        (
            record,
            [kind.display(record, name) for name in kind.list_fields],
            {"change": rules.may_change(record), "confirm": rules.may_confirm(record)},
        )
        for record in page
    ]
    return render(
        request,
        "records/list.html",
        {
            "kind": kind,
            "kinds": KINDS.values(),
            "form": form,
            "page_obj": page,
            "rows": rows,
            "headers": [kind.header(name) for name in kind.list_fields],
            "query": query,
            "export_query": request.GET.urlencode(),
            "may_enter": may_enter(request.user, kind.model),
        },
    )


@login_required
@require_GET
def record_export(request, kind):
    kind = get_kind(kind)
    _, records = _filtered(request, kind)
    return xlsx_response(
        f"{kind.label}-{export_stamp()}.xlsx",
        kind.label[:31],
        export_headers(kind),
        export_rows(kind, records.iterator(chunk_size=2000)),
    )


@login_required
@require_GET
def record_template(request, kind):
    kind = get_kind(kind)
    content = render_template(kind, organizations=enterable_organizations(request.user, kind.model))
    return _xlsx_response(content, f"{kind.label}-导入模板.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def record_import(request, kind):
    kind = get_kind(kind)
    check_may_enter(request.user, kind)
    errors = []
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        organizations = enterable_organizations(request.user, kind.model)
        count, errors = run_import(
            form.cleaned_data["file"],
            lambda content, filename: import_records(
                kind=kind, content=content, organizations=organizations, actor=request.user, filename=filename
            ),
        )
        if not errors:
            messages.success(request, f"已导入 {count} 条{kind.label}记录")
            return redirect("records:list", kind=kind.slug)
    return render(request, "records/import.html", {"kind": kind, "form": form, "errors": errors})


@login_required
@require_http_methods(["GET", "POST"])
def record_create_view(request, kind):
    kind = get_kind(kind)
    check_may_enter(request.user, kind)
    form_class = record_form_class(kind)
    initial = {"date": timezone.localdate()}
    if request.GET.get("organization"):
        initial["organization"] = access_organization(request.user, request.GET["organization"], write=True)
    form = form_class(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in kind.fields}
        try:
            record = record_create(model=kind.model, data=data, actor=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if record.status == RecordStatus.CLAIMED:
                messages.success(
                    request, f"已提交{kind.label}申报：上传证明材料（附件）后，由上级党组织确认，确认后计入评定"
                )
            else:
                messages.success(request, f"已新增{kind.label}记录")
            return redirect("records:detail", kind=kind.slug, pk=record.pk)
    return render(request, "records/form.html", {"kind": kind, "form": form, "record": None})


@login_required
@require_http_methods(["GET", "POST"])
def record_edit_view(request, kind, pk):
    kind = get_kind(kind)
    record = access_record(request.user, kind.model, pk, write=True)
    form = record_form_class(kind)(request.POST or None, user=request.user, instance=record)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in kind.fields}
        try:
            if "organization" in data:
                access_organization(request.user, data["organization"].pk, write=True)
            record_update(record=record, data=data, actor=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "已保存修改")
            return redirect("records:detail", kind=kind.slug, pk=pk)
    return render(request, "records/form.html", {"kind": kind, "form": form, "record": record})


@login_required
@require_GET
def record_detail_view(request, kind, pk):
    kind = get_kind(kind)
    record = access_record(request.user, kind.model, pk)
    fields = [(kind.header(name), kind.display(record, name)) for name in kind.fields if name != "member"]
    if "category" in kind.list_fields:
        fields.append((kind.header("category"), kind.display(record, "category")))
    rules = Rules(request.user)
    attachments = list(record.attachments.order_by("uploaded_at", "id"))
    return render(
        request,
        "records/detail.html",
        {
            "kind": kind,
            "record": record,
            "fields": fields,
            "attachments": attachments,
            "attachment_form": AttachmentForm(),
            "may_change": rules.may_change(record),
            "may_confirm": rules.may_confirm(record),
            "reject_form": RejectForm(),
        },
    )


def _review(request, kind_slug: str, pk: int, decide) -> HttpResponse:
    """Confirm or send back a claim, then back to the record's page; a refusal of the state comes as a message."""
    kind = get_kind(kind_slug)
    record = access_record(request.user, kind.model, pk)
    check_can_write(request.user)
    check_may_confirm(request.user, record)
    try:
        message = decide(record)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, message)
    return redirect("records:detail", kind=kind.slug, pk=pk)


@login_required
@require_POST
def record_confirm_view(request, kind, pk):
    """The superior confirms (确认) a claim of the organization below it: from now on it counts."""

    def confirm(record) -> str:
        record_confirm(record=record, actor=request.user)
        return f"已确认“{record.organization.name}”的申报，计入评定"

    return _review(request, kind, pk, confirm)


@login_required
@require_POST
def record_reject_view(request, kind, pk):
    """The superior sends a claim back (退回) with the reason; it does not count."""
    form = RejectForm(request.POST)

    def reject(record) -> str:
        if not form.is_valid():
            raise ValidationError("退回时请填写退回理由")
        record_reject(record=record, reason=form.cleaned_data["reason"], actor=request.user)
        return f"已退回“{record.organization.name}”的申报"

    return _review(request, kind, pk, reject)


@login_required
@require_http_methods(["GET", "POST"])
def record_delete_view(request, kind, pk):
    kind = get_kind(kind)
    record = access_record(request.user, kind.model, pk, write=True)
    if request.method == "POST":
        record_delete(record=record, actor=request.user)
        messages.success(request, f"已删除{kind.label}记录")
        return redirect("records:list", kind=kind.slug)
    return render(
        request,
        "records/confirm_delete.html",
        {
            "kind": kind,
            "record": record,
            "attachment_count": record.attachments.count(),
        },
    )


@login_required
@require_POST
def attachment_upload(request, kind, pk):
    """Store the upload, then back to the record's page either way: its refusal comes as an error message.

    Rendering the page here would leave the browser on this POST-only URL,
    which a reload or a bookmark answers with 405.
    """
    kind = get_kind(kind)
    record = access_record(request.user, kind.model, pk, write=True)
    form = AttachmentForm(request.POST, request.FILES)
    if not request.FILES.get("file"):
        messages.error(request, "请选择要上传的附件文件")
    elif not form.is_valid():
        messages.error(request, "附件未上传：" + "；".join(form.errors.get("file", [])))
    else:
        upload = form.cleaned_data["file"]
        try:
            attachment_add(record=record, upload=upload, name=upload.name, size=upload.size, actor=request.user)
        except ValidationError as error:
            messages.error(request, "附件未上传：" + "；".join(error.messages))
        else:
            messages.success(request, f"已上传附件“{upload.name}”")
    return redirect("records:detail", kind=kind.slug, pk=pk)


@login_required
@require_GET
def attachment_download(request, kind, pk, attachment_pk):
    kind = get_kind(kind)
    record = access_record(request.user, kind.model, pk)
    return attachment_response(access_attachment(request.user, record, attachment_pk))


@login_required
@require_POST
def attachment_delete_view(request, kind, pk, attachment_pk):
    kind = get_kind(kind)
    record = access_record(request.user, kind.model, pk, write=True)
    attachment = access_attachment(request.user, record, attachment_pk, write=True)
    attachment_delete(attachment=attachment, actor=request.user)
    messages.success(request, f"已删除附件“{attachment.display_name}”")
    return redirect("records:detail", kind=kind.slug, pk=pk)


@login_required
@require_GET
def facts_view(request):
    """What the rules read about one organization's year: the engine's input, field by field."""
    form = FactsForm(request.GET or None, user=request.user, initial={"year": timezone.localdate().year})
    facts = None
    if form.is_valid():
        organization = access_organization(request.user, form.cleaned_data["organization"].pk)
        facts = engine_facts(organization, form.cleaned_data["year"])
    return render(
        request,
        "records/facts.html",
        {
            "form": form,
            "facts": facts,
            "rows": _facts_rows(facts) if facts else [],
        },
    )


def _facts_rows(facts: dict) -> list[tuple[str, str, str]]:
    return [(line.field, line.label, line.value) for line in fact_lines(facts)]
