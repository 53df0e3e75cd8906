"""The public results pages (评定结果公布): no login, nothing personal.

The publications by year, and a publication's frozen list (organization and
approved level, searchable, paged) with the audit chain's head hash stored
at publication and the current one.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xingji.accounts.access import NOT_FOUND
from xingji.audit.chain import head_hash
from xingji.common.pagination import paginate
from xingji.reports import selectors
from xingji.reports.forms import SearchForm

PUBLICATIONS_PER_PAGE = 20
ROWS_PER_PAGE = 50


@require_GET
def publication_list(request):
    page_obj, query = paginate(request, selectors.publications(), PUBLICATIONS_PER_PAGE)
    return render(request, "reports/public/publication_list.html", {"page_obj": page_obj, "query": query})


@require_GET
def publication_detail(request, pk):
    publication = selectors.publications().filter(pk=pk).first()
    if publication is None:
        raise Http404(NOT_FOUND)
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
        },
    )
