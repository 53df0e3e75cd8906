"""Pagination that keeps the list's filters in the page links."""

from __future__ import annotations

from django.core.paginator import Page, Paginator

PER_PAGE = 25


def paginate(request, object_list, per_page: int = PER_PAGE) -> tuple[Page, str]:
    """The requested page (an out-of-range or garbled number gives the nearest page) and the query prefix.

    The prefix is the request's query string without ``page``, ending in
    ``&`` when not empty, for ``web/pagination.html``: ``?{{ query }}page=2``.
    """
    page = Paginator(object_list, per_page).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    query = params.urlencode()
    return page, f"{query}&" if query else ""
