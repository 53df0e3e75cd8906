"""The home page, one per role.

* committee office, reviewer, inspector (and a superuser): the totals of
  the user's subtree, its organizations counted by type, and the first
  ``HOME_ORGANIZATION_LINES`` organizations directly under the user's node
  with their subtree's members — the whole tree, with search and pages, is
  ``orgs:tree``; the inspector's page has no editing links;
* branch secretary: the branch itself — members, leadership team, the
  election's due date, and its star (the star ledger), last score with its
  reasons and what it takes to reach each higher level
  (``xingji.campaigns.guidance``).

Both start with what is due (待办事项, ``xingji.web.due``): the first
``HOME_DUE_LINES`` lines, the rest on the full list (``due``), which pages
through them. Both compute the list afresh and hand its counts to the
navigation (``request.due_counts``), so the badges agree with the page.

The page costs the same whatever the tree's size: the totals and counts by
type are computed in SQL over the subtree (``subtree_totals``), only the top
node and its first children are read (``level_rows``), and what is due comes
from ``due_overview`` (each provider's first lines and its counts).
"""

from __future__ import annotations

from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from xingji.accounts.access import can_write, visible_organizations
from xingji.accounts.decorators import login_required
from xingji.accounts.models import Role
from xingji.campaigns.guidance import organization_guidance
from xingji.common.pagination import PER_PAGE, paginate
from xingji.ledger.selectors import item_counts
from xingji.orgs.models import MemberStatus
from xingji.orgs.overview import (
    children_of,
    election_of,
    level_rows,
    subtree_totals,
    subtree_type_counts,
    top_organizations,
)
from xingji.orgs.selectors import leadership_team, member_list, organization_list
from xingji.web.due import (
    SECTION_LABELS,
    DueItem,
    DueLines,
    due_for,
    due_overview,
    due_total,
    remember_counts,
)

#: What is due, on the home page: this many lines, then a link to the full list.
HOME_DUE_LINES = 10
#: The organizations directly under the user's node, on the home page: this many, then a link to the tree.
HOME_ORGANIZATION_LINES = 10


def _page_number(request) -> int:
    """The page asked for (1 when garbled; ``paginate`` settles the range), to read its lines at once."""
    try:
        return max(1, int(request.GET.get("page", 1)))
    except (TypeError, ValueError):
        return 1


@login_required
@require_GET
def home(request):
    user = request.user
    today = timezone.localdate()
    # Bounded at any tree size: totals counted in SQL, the top node and its first children read.
    scope = visible_organizations(user)
    listed = organization_list(user=user)
    top = list(top_organizations(listed, user)[:1])
    type_counts = subtree_type_counts(scope)
    totals = subtree_totals(scope, today, type_counts)  # the own node's subtree is the whole scope
    own_node = bool(top) and not user.is_superuser and top[0].pk == user.organization_id
    rows = level_rows(top, scope, today, known=totals if own_node else None)
    subordinates = []
    subordinate_count = 0
    if top:
        children = children_of(listed, top[0])
        subordinate_count = children.count() if top[0].numchild else 0
        if subordinate_count:
            subordinates = level_rows(children[:HOME_ORGANIZATION_LINES], scope, today, level=1)
    due_items, due_counts = due_overview(user, today, HOME_DUE_LINES)
    request.due_counts = remember_counts(user, today, due_counts)
    due_count = due_total(due_counts)
    context = {
        "due_items": due_items,
        "due_count": due_count,
        "due_more": max(0, due_count - HOME_DUE_LINES),
        "rows": rows + subordinates,
        "totals": totals,
        "type_counts": type_counts,
        "subordinates": subordinates,
        "subordinates_more": max(0, subordinate_count - HOME_ORGANIZATION_LINES),
        "can_write": can_write(user),
        "today": today,
        "ledger_counts": item_counts(user, today),
    }
    if user.role == Role.BRANCH_SECRETARY and rows:
        own = rows[0]
        by_status = dict(
            member_list(user=user, organization=own.organization)
            .order_by()
            .values_list("status")
            .annotate(count=Count("id"))
        )
        context.update(
            {
                "own": own,
                "election": election_of(own.organization),
                "leaders": leadership_team(user=user, organization=own.organization),
                "full_members": by_status.get(MemberStatus.FULL, 0),
                "probationary_members": by_status.get(MemberStatus.PROBATIONARY, 0),
                # 晋位争星: the current star, the last score with its reasons, what it takes to rise.
                "guidance": organization_guidance(own.organization),
            }
        )
        return render(request, "web/home_secretary.html", context)
    return render(request, "web/home.html", context)


@login_required
@require_GET
def due(request):
    """Everything due for the user (待办事项), by section and words, a page at a time.

    Bounded by the page asked for, not by the number of lines: the lines up to the page come from each
    provider's first lines (``DueLines``, counted and limited in SQL where the provider can). A search by
    words reads every line of the section and filters them here.
    """
    today = timezone.localdate()
    section = request.GET.get("section", "")
    search = request.GET.get("q", "").strip()
    lines = DueLines(request.user, today, section, read_ahead=0 if section else PER_PAGE * _page_number(request))
    request.due_counts = remember_counts(request.user, today, lines.counts)
    sections = [
        (section, SECTION_LABELS.get(section, section), count)
        for section, count in sorted(
            request.due_counts.items(),
            key=lambda pair: list(SECTION_LABELS).index(pair[0]) if pair[0] in SECTION_LABELS else len(SECTION_LABELS),
        )
    ]
    items: DueLines | list[DueItem] = lines
    if search:
        items = [
            item
            for item in due_for(request.user, today)
            if (not section or item.section == section) and (search in item.title or search in item.kind)
        ]
    page, query = paginate(request, items)
    return render(
        request,
        "web/due_page.html",
        {
            "page_obj": page,
            "query": query,
            "sections": sections,
            "section": section,
            "search": search,
            "total": due_total(request.due_counts),
            "shown": len(items),
            "today": today,
        },
    )
