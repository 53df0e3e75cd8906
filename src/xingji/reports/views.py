"""The office's pages for the results' use (结果运用), at ``/reports/``.

Everyone logged in reads within the subtree of the node attached to (a
branch secretary: its own organization, and its plaque if five-star); only
the committee office (and superusers) act, and every action is one service
call. A plaque PDF needs a Chinese font: without one the page says what to
install, as a 503.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xingji.accounts.access import NOT_FOUND, access_organization, get_or_404, visible_organizations
from xingji.accounts.decorators import login_required
from xingji.audit.chain import head_hash
from xingji.common.confirmation import CONFIRMATION_PHRASE, ConfirmationForm
from xingji.common.documents import DOCX_TYPE
from xingji.common.exports import XLSX_TYPE, export_stamp
from xingji.common.forms import add_service_error
from xingji.common.pagination import paginate
from xingji.common.pdf import PdfFontMissing
from xingji.orgs.models import Organization
from xingji.reports import corrections, documents, selectors, services
from xingji.reports.forms import (
    CorrectionAnswerForm,
    CorrectionConfirmForm,
    CorrectionForm,
    DecisionForm,
    PlaqueIssueForm,
    PublishForm,
    ReasonForm,
    RecommendationForm,
    SearchForm,
    SiteFilterForm,
    SiteForm,
    WithdrawForm,
)
from xingji.reports.models import (
    CommendationRecommendation,
    CorrectionKind,
    Plaque,
    PublishedResult,
    RecommendationState,
    ResultPublication,
)


def _require_office(request) -> None:
    if not services.is_office(request.user):
        raise PermissionDenied(services.OFFICE_ONLY)


def _top_organizations(user, year: int) -> QuerySet[Organization]:
    """The year's five-star organizations still at that level: those a site or a recommendation may name."""
    ids = [result.organization.pk for result in selectors.top_results(visible_organizations(user), year, standing=True)]
    return Organization.objects.filter(pk__in=ids).order_by("path")


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


def _form_page(request, form, title: str, year: int, *, note: str = "", submit: str = "保存"):
    return render(
        request,
        "web/form_page.html",
        {
            "form": form,
            "title": title,
            "note": note,
            "submit": submit,
            "cancel_url": reverse("reports:year", args=[year]),
        },
    )


def _posted(request):
    """The POST data for a POST (even empty: a form of optional fields is then submitted), else None."""
    return request.POST if request.method == "POST" else None


def _publication_root(user) -> Organization | None:
    """The organization over whose subtree the user publishes a year's results: its own, or the tree's root."""
    return user.organization or Organization.objects.get_first_root_node()


def _can_publish(user, year: int) -> bool:
    """Whether the office may publish ``year`` now: an approved result not published yet in its subtree."""
    return services.is_office(user) and selectors.publishable_organizations(user, year).exists()


def _head() -> list[str]:
    return documents.export_head(head_hash(), timezone.localtime())


@login_required
@require_GET
def index(request):
    years = selectors.result_years(request.user)
    return render(
        request,
        "reports/index.html",
        {
            "years": years,
            "this_year": timezone.localdate().year,
            "publications": ResultPublication.objects.filter(root__in=visible_organizations(request.user))
            .select_related("root")
            .order_by("-year", "-id")[:20],
        },
    )


@login_required
@require_GET
def year_overview(request, year):
    user = request.user
    top = selectors.top_results(visible_organizations(user), year)
    plaques = {plaque.organization_id: plaque for plaque in selectors.plaques(user, year)}
    rows = [{"result": result, "plaque": plaques.get(result.organization.pk)} for result in top]
    # A plaque whose organization a later decision took out of the year's five-star list stays in view.
    shown = {result.organization.pk for result in top}
    others = [pk for pk in plaques if pk not in shown]
    if others:
        results = selectors.year_results(Organization.objects.filter(pk__in=others), year)
        rows += [{"result": results[pk], "plaque": plaques[pk]} for pk in others if pk in results]
        rows.sort(key=lambda row: row["result"].organization.path)
    publications = list(
        ResultPublication.objects.filter(year=year, root__in=visible_organizations(user)).select_related(
            "root", "superseded_by"
        )
    )
    return render(
        request,
        "reports/year.html",
        {
            "year": year,
            "rows": rows,
            "plaque_count": sum(1 for plaque in plaques.values() if plaque.is_active),
            "missing_plaques": sum(1 for row in rows if row["plaque"] is None and not row["result"].is_lowered),
            "sites": selectors.demonstration_sites(user, year=year),
            "can_choose_site": any(row["result"].is_top and not row["result"].is_lowered for row in rows),
            "recommendations": selectors.recommendations(user, year=year),
            "publications": publications,
            "correction_objections": selectors.correction_objections(user, open_only=True).filter(
                publication__year=year
            ),
            "is_office": services.is_office(user),
            "can_publish": _can_publish(user, year),
        },
    )


# --- plaques -------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def plaques_issue(request, year):
    _require_office(request)
    form = PlaqueIssueForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            made = services.plaques_issue(
                year=year,
                issuing_body=form.cleaned_data["issuing_body"],
                issued_on=form.cleaned_data["issued_on"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"已制作授牌证书 {len(made)} 份")
            return redirect("reports:year", year=year)
    return _form_page(
        request,
        form,
        f"{year}年度授牌",
        year,
        submit="制作授牌证书",
        note="为本年度经批准的五星级党组织中尚未授牌的组织制作授牌证书；已制作的证书编号和内容不变。",
    )


def _pdf_response(request, plaques: list[Plaque], filename: str, year: int):
    try:
        data = documents.plaques_pdf(plaques)
    except PdfFontMissing as error:
        return render(request, "reports/pdf_unavailable.html", {"message": str(error), "year": year}, status=503)
    response = _download(data, "application/pdf", filename)
    response["Content-Disposition"] = content_disposition_header(False, filename) or "inline"
    return response


@login_required
@require_GET
def plaques_pdf(request, year):
    """Every plaque of the year still standing (a withdrawn one is not reprinted with the others)."""
    plaques = [plaque for plaque in selectors.plaques(request.user, year) if plaque.is_active]
    if not plaques:
        raise Http404(NOT_FOUND)
    return _pdf_response(request, plaques, f"{year}年度授牌证书.pdf", year)


@login_required
@require_GET
def plaque_pdf(request, pk):
    plaque = get_or_404(selectors.plaques(request.user), pk)
    return _pdf_response(request, [plaque], f"授牌证书-{plaque.serial}-{plaque.organization_name}.pdf", plaque.year)


@login_required
@require_http_methods(["GET", "POST"])
def plaque_withdraw(request, pk):
    plaque = get_or_404(selectors.plaques(request.user), pk)
    _require_office(request)
    form = WithdrawForm(_posted(request), initial={"reason": plaque.withdrawal_reason})
    if request.method == "POST" and form.is_valid():
        try:
            services.plaque_withdraw(plaque=plaque, reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"授牌证书{plaque.serial}已撤销")
            return redirect("reports:year", year=plaque.year)
    due = f"待撤销：{plaque.withdrawal_reason}" if plaque.is_withdrawal_due else ""
    return _form_page(
        request,
        form,
        f"撤牌：{plaque.organization_name}（{plaque.serial} {plaque.title}）",
        plaque.year,
        submit="撤牌",
        note=due or "撤牌后该证书不再随本年度证书一并打印，撤牌记录写入审计日志。",
    )


# --- demonstration sites ------------------------------------------------------------------------------------


def _site_filters(request):
    form = SiteFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return form, (data.get("q") or "").strip(), data.get("year")


@login_required
@require_GET
def site_list(request):
    form, search, year = _site_filters(request)
    page_obj, query = paginate(request, selectors.demonstration_sites(request.user, year=year, search=search))
    return render(
        request,
        "reports/site_list.html",
        {
            "filter_form": form,
            "page_obj": page_obj,
            "query": query,
            "is_office": services.is_office(request.user),
        },
    )


SITE_HEADERS = ["年度", "组织编码", "党组织", "确定理由", "确定人", "确定时间", "状态", "撤销理由（待撤销原因）"]


@login_required
@require_GET
def site_export(request):
    _, search, year = _site_filters(request)
    rows = [
        [
            site.year,
            site.organization.code,
            site.organization.name,
            site.reason,
            site.chosen_by.get_username(),
            site.chosen_at,
            site.status,
            site.revoke_reason or site.withdrawal_reason,
        ]
        for site in selectors.demonstration_sites(request.user, year=year, search=search)
    ]
    data = documents.workbook_bytes("示范点", "示范点名单", _head(), SITE_HEADERS, rows)
    return _download(data, XLSX_TYPE, f"示范点-{export_stamp()}.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def site_create(request, year):
    _require_office(request)
    form = SiteForm(_posted(request), organizations=_top_organizations(request.user, year))
    if request.method == "POST" and form.is_valid():
        try:
            services.demonstration_site_choose(
                organization=form.cleaned_data["organization"],
                year=year,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "示范点已确定")
            return redirect("reports:year", year=year)
    return _form_page(
        request,
        form,
        f"确定{year}年度示范点",
        year,
        submit="确定",
        note="示范点只能在本年度经批准的五星级党组织中确定。",
    )


@login_required
@require_http_methods(["GET", "POST"])
def site_revoke(request, pk):
    site = get_or_404(selectors.demonstration_sites(request.user), pk)
    _require_office(request)
    form = ReasonForm(_posted(request), initial={"reason": site.withdrawal_reason})
    if request.method == "POST" and form.is_valid():
        try:
            services.demonstration_site_revoke(site=site, reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "示范点已撤销")
            return redirect("reports:year", year=site.year)
    note = f"待撤销：{site.withdrawal_reason}" if site.is_withdrawal_due else ""
    return _form_page(request, form, f"撤销示范点：{site.organization.name}", site.year, submit="撤销", note=note)


# --- commendation recommendations ---------------------------------------------------------------------------


@login_required
@require_GET
def recommendation_list(request, year):
    form = SearchForm(request.GET or None)
    search = (form.cleaned_data.get("q") or "").strip() if form.is_valid() else ""
    recommendations = selectors.recommendations(request.user, year=year, search=search)
    page_obj, query = paginate(request, recommendations)
    return render(
        request,
        "reports/recommendation_list.html",
        {
            "year": year,
            "filter_form": form,
            "page_obj": page_obj,
            "query": query,
            "is_office": services.is_office(request.user),
            "drafts": recommendations.filter(state=RecommendationState.DRAFT).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def recommendation_create(request, year):
    _require_office(request)
    form = RecommendationForm(_posted(request), organizations=_top_organizations(request.user, year))
    if request.method == "POST" and form.is_valid():
        try:
            services.recommendation_create(
                organization=form.cleaned_data["organization"],
                year=year,
                deeds=form.cleaned_data["deeds"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "已加入推荐名单")
            return redirect("reports:recommendation_list", year=year)
    return _form_page(
        request,
        form,
        f"推荐{year}年度先进基层党组织",
        year,
        submit="加入推荐名单",
        note="只能从本年度经批准的五星级党组织中推荐。",
    )


@login_required
@require_POST
def recommendation_submit(request, year):
    _require_office(request)
    try:
        submitted = services.recommendations_submit(year=year, actor=request.user)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已报送推荐名单 {len(submitted)} 个组织")
    return redirect("reports:recommendation_list", year=year)


def _recommendation(request, pk) -> CommendationRecommendation:
    recommendation = get_or_404(selectors.recommendations(request.user), pk)
    _require_office(request)
    return recommendation


@login_required
@require_POST
def recommendation_delete(request, pk):
    recommendation = _recommendation(request, pk)
    try:
        services.recommendation_delete(recommendation=recommendation, actor=request.user)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, "已从推荐名单中删除")
    return redirect("reports:recommendation_list", year=recommendation.year)


@login_required
@require_http_methods(["GET", "POST"])
def recommendation_decide(request, pk):
    recommendation = _recommendation(request, pk)
    form = DecisionForm(
        _posted(request), initial={"commended_on": timezone.localdate(), "issuer": recommendation.organization.name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.recommendation_decide(recommendation=recommendation, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "表彰结果已录入")
            return redirect("reports:recommendation_list", year=recommendation.year)
    return _form_page(
        request, form, f"录入表彰结果：{recommendation.organization.name}", recommendation.year, submit="录入"
    )


RECOMMENDATION_HEADERS = ["序号", "组织编码", "党组织", "主要事迹", "状态", "推荐时间", "报送时间", "表彰情况"]


@login_required
@require_GET
def recommendation_xlsx(request, year):
    rows = [
        [
            number,
            item.organization.code,
            item.organization.name,
            item.deeds,
            item.get_state_display(),
            item.created_at,
            item.submitted_at,
            item.decision_note,
        ]
        for number, item in enumerate(selectors.recommendations(request.user, year=year), start=1)
    ]
    data = documents.workbook_bytes(
        "推荐名单", f"{year}年度先进基层党组织推荐名单", _head(), RECOMMENDATION_HEADERS, rows
    )
    return _download(data, XLSX_TYPE, f"{year}年度先进基层党组织推荐名单.xlsx")


@login_required
@require_GET
def recommendation_docx(request, year):
    user = request.user
    issuing_body = user.organization.name if user.organization_id else ""
    data = documents.recommendations_docx(year, issuing_body, list(selectors.recommendations(user, year=year)), _head())
    return _download(data, DOCX_TYPE, f"{year}年度先进基层党组织推荐名单.docx")


# --- annual assessment and publication ----------------------------------------------------------------------


@login_required
@require_GET
def assessment_export(request, year):
    rows = selectors.assessment_rows(request.user, year)
    data = documents.workbook_bytes(
        "年度考核", f"{year}年度基层党组织星级评定结果（年度考核用）", _head(), selectors.ASSESSMENT_HEADERS, rows
    )
    return _download(data, XLSX_TYPE, f"{year}年度考核-星级评定结果-{export_stamp()}.xlsx")


def _publish_form(request, year: int) -> PublishForm:
    user = request.user
    root = _publication_root(user)
    return PublishForm(
        _posted(request),
        roots=visible_organizations(user).order_by("path"),
        publishable=selectors.publishable_organizations(user, year),
        initial={"root": root.pk if root is not None else None},
    )


def _confirm_page(request, year: int, form: PublishForm, confirm: ConfirmationForm | None = None):
    """The confirmation page: what will be published, every quota warning, the typed phrase when warned."""
    data = form.cleaned_data
    chosen = list(data["organizations"]) or None
    preview = selectors.publication_preview(root=data["root"], year=year, organizations=chosen)
    refusals: list[str] = []
    if confirm is not None and confirm.data.get("digest") != preview.digest:
        # What the page showed has changed: the new preview, with its own digest, asks again.
        refusals = [str(error) for error in confirm.non_field_errors()] or [
            "确认后待发布的内容已发生变化，请重新核对后再确认"
        ]
        confirm = None
    confirm = confirm or ConfirmationForm(initial={"digest": preview.digest})
    if not preview.warnings:
        confirm.fields["confirmation"].widget = confirm.fields["confirmation"].hidden_widget()
    return render(
        request,
        "reports/publish_confirm.html",
        {
            "year": year,
            "form": form,
            "root": data["root"],
            "chosen": chosen or [],
            "title": data["title"],
            "preview": preview,
            "confirm": confirm,
            "refusals": refusals,
            "phrase": CONFIRMATION_PHRASE,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def publish(request, year):
    """Publishing the year's results in two steps: choose the scope, then confirm what the preview shows."""
    _require_office(request)
    user = request.user
    if _publication_root(user) is None:
        raise Http404(NOT_FOUND)
    form = _publish_form(request, year)
    if request.method == "POST" and form.is_valid():
        access_organization(user, form.cleaned_data["root"].pk, write=True)
        if "confirm" not in request.POST:
            return _confirm_page(request, year, form)
        confirm = ConfirmationForm(request.POST)
        if confirm.is_valid():
            try:
                publication = services.results_publish(
                    root=form.cleaned_data["root"],
                    year=year,
                    title=form.cleaned_data["title"],
                    organizations=list(form.cleaned_data["organizations"]) or None,
                    confirmation=confirm.cleaned_data["confirmation"],
                    preview_digest=confirm.cleaned_data["digest"],
                    actor=user,
                )
            except ValidationError as error:
                add_service_error(confirm, error)
            else:
                messages.success(request, "评定结果已公布")
                return redirect("results:detail", pk=publication.pk)
        return _confirm_page(request, year, form, confirm)
    return _form_page(
        request,
        form,
        f"公布{year}年度评定结果",
        year,
        submit="下一步：核对公布内容",
        note="选择公布范围（或其中的部分组织），下一步核对公布名单和比例提示后再确认公布。"
        "每个组织的年度评定结果只公布一次；公布后名单不再随星级管理台账变化。",
    )


# --- correction of a publication (评定结果更正) ----------------------------------------------------------------


def _correction_lines(publication: ResultPublication) -> list[tuple[PublishedResult, list[tuple[int, str]]]]:
    """Each line of the publication with the levels of its year's result's scheme, highest first."""
    lines = list(selectors.correction_lines(publication))
    results = selectors.year_results(
        Organization.objects.filter(pk__in=[line.organization_id for line in lines]), publication.year
    )
    found = []
    for line in lines:
        result = results.get(line.organization_id)
        if result is None:
            continue
        scheme = result.campaign.scheme
        found.append(
            (line, [(level, scheme.level_name(level)) for level in sorted(scheme.level_values(), reverse=True)])
        )
    return found


def _correction_hidden(form: CorrectionForm) -> list[tuple[str, object]]:
    """What the confirmation page carries back: the form's own fields as they were filled."""
    data = form.cleaned_data
    hidden: list[tuple[str, object]] = [("kind", data["kind"]), ("reason", data["reason"])]
    hidden += [(f"level_{line.pk}", level) for line, level in form.changes()]
    return hidden


@login_required
@require_http_methods(["GET", "POST"])
def publication_correct(request, pk):
    """Correcting a publication in two steps: the corrected levels and the reason, then the typed phrase."""
    _require_office(request)
    publication = get_or_404(
        ResultPublication.objects.filter(root__in=visible_organizations(request.user)).select_related("root"), pk
    )
    successor = publication.successor
    if successor is not None:
        messages.info(request, f"《{publication.title}》已更正，请在最新版本（第{successor.version}版）上更正")
        return redirect("reports:publication_correct", pk=successor.pk)
    form = CorrectionForm(_posted(request), lines=_correction_lines(publication))
    if request.method == "POST" and form.is_valid():
        access_organization(request.user, publication.root_id, write=True)
        confirm = CorrectionConfirmForm(request.POST if "confirm" in request.POST else None)
        if confirm.is_valid():
            try:
                new = corrections.result_correct(
                    publication=publication,
                    changes=[
                        corrections.ResultChange(organization=line.organization, level=level)
                        for line, level in form.changes()
                    ],
                    kind=form.cleaned_data["kind"],
                    reason=form.cleaned_data["reason"],
                    confirmation=confirm.cleaned_data["confirmation"],
                    actor=request.user,
                )
            except ValidationError as error:
                add_service_error(confirm, error)
            else:
                messages.success(
                    request, f"评定结果已更正，第{new.version}版已公布，更正公示期至{new.notice_ends_on:%Y年%m月%d日}"
                )
                return redirect("results:detail", pk=new.pk)
        return render(
            request,
            "reports/correct_confirm.html",
            {
                "publication": publication,
                "year": publication.year,
                "changes": [(line, level, form.level_name(line, level)) for line, level in form.changes()],
                "kind": CorrectionKind(form.cleaned_data["kind"]).label,
                "reason": form.cleaned_data["reason"],
                "hidden": _correction_hidden(form),
                "confirm": confirm,
                "phrase": CONFIRMATION_PHRASE,
            },
        )
    return _form_page(
        request,
        form,
        f"更正评定结果：{publication.title}",
        publication.year,
        submit="下一步：核对更正内容",
        note="公布的结果有误（公示后异议成立、记录有误）时更正：选择要更正的组织和更正后的星级，写明理由。"
        "更正将公布新版本（原版本保留可查），更正的组织重新公示，星级管理台账和授牌随之变化。",
    )


@login_required
@require_http_methods(["GET", "POST"])
def correction_objection_answer(request, pk):
    _require_office(request)
    objection = get_or_404(selectors.correction_objections(request.user), pk)
    form = CorrectionAnswerForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            corrections.correction_objection_answer(
                objection=objection,
                upheld=form.cleaned_data["upheld"],
                answer=form.cleaned_data["answer"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request, "异议已答复" + ("；异议成立，请再次更正评定结果" if form.cleaned_data["upheld"] else "")
            )
            return redirect("reports:year", year=objection.publication.year)
    line = objection.result
    return _form_page(
        request,
        form,
        f"答复异议：{line.organization.name}（由{line.previous_level_name}更正为{line.level_name}）",
        objection.publication.year,
        submit="答复",
        note=f"异议内容：{objection.content}" + (f"（联系方式：{objection.contact}）" if objection.contact else ""),
    )
