"""The demo's use of the results (结果运用): plaques, a demonstration site, recommendations, the publication.

It needs an approved campaign of ``year`` over ``root`` (some organization
approved at the scheme's top level, for the plaques, the site and the
recommendations), and the office account ``office`` at ``root``. Without
approved results it writes nothing and returns None. Everything goes through
``xingji.reports.services`` as the office, so each step has its audit entry;
a second run finds the work done and writes nothing.
"""

from __future__ import annotations

from datetime import date

from xingji.accounts.models import Role, User
from xingji.common.confirmation import CONFIRMATION_PHRASE
from xingji.orgs.models import Organization
from xingji.reports import selectors, services
from xingji.reports.models import CommendationRecommendation, DemonstrationSite, Plaque, ResultPublication

SITE_REASON = "党建工作基础扎实、班子战斗力强、党员整体素质高、工作制度健全、活动开展经常"
DEEDS = "坚持“三会一课”，开展主题党日和志愿服务，服务群众满意度高，星级创建成效显著。"
RECOMMENDED = 3


def load(*, root: Organization, year: int, today: date) -> dict[str, int] | None:
    """Issue the year's plaques, choose one demonstration site, draft recommendations, publish; counts made."""
    office = User.objects.get(organization=root, role=Role.COMMITTEE_OFFICE, is_superuser=False, username="office")
    subtree = Organization.objects.filter(path__startswith=root.path)
    if not selectors.year_results(subtree, year):
        return None
    top = selectors.top_results(subtree, year)
    made = {"plaques": 0, "sites": 0, "recommendations": 0, "publications": 0}
    if top and len(top) > Plaque.objects.filter(year=year, organization__in=subtree).count():
        made["plaques"] = len(services.plaques_issue(year=year, issued_on=today, actor=office))
    if top and not DemonstrationSite.objects.filter(year=year, organization__in=subtree).exists():
        services.demonstration_site_choose(
            organization=top[0].organization, year=year, reason=SITE_REASON, actor=office
        )
        made["sites"] = 1
    if not CommendationRecommendation.objects.filter(year=year, organization__in=subtree).exists():
        for result in top[:RECOMMENDED]:
            services.recommendation_create(organization=result.organization, year=year, deeds=DEEDS, actor=office)
            made["recommendations"] += 1
    if not ResultPublication.objects.filter(year=year, root=root).exists():
        # The demo's levels are made up: its publication confirms whatever quota they break.
        services.results_publish(root=root, year=year, confirmation=CONFIRMATION_PHRASE, actor=office)
        made["publications"] = 1
    return made
