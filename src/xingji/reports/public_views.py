"""The public results pages (评定结果公布): no login, nothing personal.

The publications by year, and a publication's frozen list (organization and
approved level, searchable, paged) with the audit chain's head hash stored
at publication and the current one. Every version of a corrected publication
stays reachable: an old one says which version corrected it, a new one lists
its changes, links the version before and, during its correction notice
(更正公示), takes objections to the corrected lines only (the campaign notice's
per-client throttle applies).
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from xingji.accounts.access import NOT_FOUND
from xingji.audit.chain import head_hash
from xingji.campaigns.public_views import THROTTLED_MESSAGE, client_throttled
from xingji.common.errors import TransitionRefused
from xingji.common.pagination import paginate
from xingji.reports import corrections, selectors
from xingji.reports.forms import CorrectionObjectionForm, SearchForm
from xingji.reports.models import ResultPublication

PUBLICATIONS_PER_PAGE = 20
ROWS_PER_PAGE = 50


@require_GET
def publication_list(request):
    page_obj, query = paginate(request, selectors.publications(), PUBLICATIONS_PER_PAGE)
    return render(request, "reports/public/publication_list.html", {"page_obj": page_obj, "query": query})


def _publication(pk) -> ResultPublication:
    publication = selectors.publications().filter(pk=pk).first()
    if publication is None:
        raise Http404(NOT_FOUND)
    return publication


@require_GET
def publication_detail(request, pk):
    publication = _publication(pk)
    form = SearchForm(request.GET or None)
    search = (form.cleaned_data.get("q") or "").strip() if form.is_valid() else ""
    page_obj, query = paginate(request, selectors.publication_rows(publication, search), ROWS_PER_PAGE)
    return render(
        request,
        "reports/public/publication_detail.html",
        {
            "publication": publication,
            "filter_form": form,
            "page_obj": page_obj,
            "query": query,
            "head_hash": head_hash(),
            "successor": publication.successor,
            "corrected": list(selectors.corrected_lines(publication)) if publication.is_correction else [],
            "open": publication.accepts_objections_on(corrections._today()),
        },
    )


@require_http_methods(["GET", "POST"])
def correction_objection(request, pk):
    """The objection form of a corrected version: its corrected lines only, during its notice period."""
    publication = _publication(pk)
    lines = list(selectors.corrected_lines(publication))
    context = {"publication": publication, "open": publication.accepts_objections_on(corrections._today())}
    form = CorrectionObjectionForm(request.POST if request.method == "POST" else None, lines=lines)
    context["form"] = form
    template = "reports/public/correction_objection_form.html"
    if request.method == "POST" and form.is_valid() and context["open"]:
        if client_throttled(request):
            return render(request, template, {**context, "refusal": THROTTLED_MESSAGE}, status=429)
        line = next(line for line in lines if line.pk == form.cleaned_data["result"])
        try:
            corrections.correction_objection_file(
                publication=publication,
                result=line,
                content=form.cleaned_data["content"],
                contact=form.cleaned_data["contact"],
            )
        except TransitionRefused as refusal:
            status = 429 if refusal.code == "throttled" else 400
            return render(request, template, {**context, "refusal": " ".join(refusal.messages)}, status=status)
        return render(request, template, {**context, "filed": line, "form": None})
    return render(request, template, context)
