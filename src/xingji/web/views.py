"""The home page, one per role.

* committee office, reviewer, inspector (and a superuser): the tree of the
  user's subtree with member counts per node and per subtree, the totals,
  and the elections overdue or coming due; the inspector's page has no
  editing links;
* branch secretary: the branch itself — members, leadership team, the
  election's due date — and what is due.

One query loads the whole subtree with its counts and elections
(``organization_list``), so the page costs the same whatever the tree's size.
"""

from __future__ import annotations

from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from xingji.accounts.access import can_write
from xingji.accounts.models import Role
from xingji.orgs.models import MemberStatus
from xingji.orgs.overview import DUE_SOON_DAYS, due_rows, election_of, totals, tree_rows
from xingji.orgs.selectors import leadership_team, member_list, organization_list
from xingji.web.decorators import login_required


@login_required
@require_GET
def home(request):
    user = request.user
    today = timezone.localdate()
    rows = tree_rows(organization_list(user=user), today)
    context = {
        "rows": rows,
        "totals": totals(rows),
        "due": due_rows(rows),
        "due_soon_days": DUE_SOON_DAYS,
        "can_write": can_write(user),
        "today": today,
    }
    if user.role == Role.BRANCH_SECRETARY and rows:
        own = rows[0]
        by_status = dict(
            member_list(user=user, organization=own.organization)
            .order_by()
            .values_list("status")
            .annotate(count=Count("id"))
        )
        context.update({
            "own": own,
            "election": election_of(own.organization),
            "leaders": leadership_team(user=user, organization=own.organization),
            "full_members": by_status.get(MemberStatus.FULL, 0),
            "probationary_members": by_status.get(MemberStatus.PROBATIONARY, 0),
        })
        return render(request, "web/home_secretary.html", context)
    return render(request, "web/home.html", context)
