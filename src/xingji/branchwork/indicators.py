"""A branch's work as the rating reads it: 组织生活落实率 and 民主评议党员覆盖率 for one year.

Both are computed from the branch's records, never typed, for many
organizations at once in a fixed number of queries:

* ``meetings.compliance`` — the periods in which the branch held a meeting
  of a kind due for its category (``rules/tables/meetings.toml``), over the
  periods it owed one, judged as ``selectors.compliance_of`` judges the
  periods (counted by ``selectors.meeting_counts_of``: a branch founded
  mid-year owes only the periods starting after its founding). A period owed counts once it has closed by ``today``, or,
  still open, once its meeting is held: a year-end review judged on
  31 December counts December's meetings and the year's 组织生活会 already
  held, and does not count against the branch those it may still hold.
  None when nothing was owed yet.
* ``appraisal.coverage`` — the members of the current roll graded in the
  year's appraisal over the roll (``selectors.appraisal_summaries``); 0 when
  the branch has a roll but no appraisal that year, None without a roll.

Neither applies to an organization that is not a branch (a committee, a
general branch holds no 三会一课 of its own here): None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from xingji.branchwork.selectors import appraisal_summaries, meeting_counts_of
from xingji.orgs.models import Organization
from xingji.orgs.services import BRANCH_TYPES
from xingji.rules.scheme import indicator_share


@dataclass(frozen=True)
class BranchIndicators:
    """One organization's two indicators, with the counts behind them (for the forms' "8/9")."""

    meetings_compliance: Decimal | None
    meetings_held: int
    meetings_owed: int
    appraisal_coverage: Decimal | None
    appraisal_graded: int
    appraisal_roll: int


NOT_A_BRANCH = BranchIndicators(None, 0, 0, None, 0, 0)


def branch_indicators(organizations: Sequence[Organization], *, year: int, today: date) -> dict[int, BranchIndicators]:
    """Each organization's indicators for ``year`` judged on ``today``, by its pk (four queries in all)."""
    branches = [organization for organization in organizations if organization.org_type in BRANCH_TYPES]
    found = {organization.pk: NOT_A_BRANCH for organization in organizations}
    if not branches:
        return found
    meetings = meeting_counts_of(branches, year=year, today=today)
    appraisals = {entry.organization.pk: entry for entry in appraisal_summaries(branches, year=year)}
    for branch in branches:
        owed, held = meetings[branch.pk]
        appraisal = appraisals[branch.pk]
        found[branch.pk] = BranchIndicators(
            meetings_compliance=indicator_share(held, owed),
            meetings_held=held,
            meetings_owed=owed,
            appraisal_coverage=indicator_share(appraisal.graded_count, appraisal.roll_count),
            appraisal_graded=appraisal.graded_count,
            appraisal_roll=appraisal.roll_count,
        )
    return found
