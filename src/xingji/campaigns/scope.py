"""Which organizations take part in a campaign (参评组织): what the scope page lists and what opening rates.

One selector answers both, so that the page shown before a campaign opens
lists exactly the organizations ``services.campaign_open`` gives an
evaluation: every active organization under the campaign's root (the root
runs the campaign and is not rated itself) as the tree stood at the end of the
campaign's year (``campaign_day``): an organization moved after that day is
still rated in its old parent's campaign, one moved in is not (a move dated
that very day counts as done). Once opened, the campaign's evaluations are
the set, whatever the tree has become since.
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from xingji.campaigns.models import Campaign, CampaignState
from xingji.orgs.models import Organization
from xingji.orgs.selectors import subtree_on


def campaign_day(campaign: Campaign) -> date:
    """The day whose tree the campaign rates: 31 December of its year, the day its facts are read on."""
    return date(campaign.year, 12, 31)


def scope_organizations(campaign: Campaign) -> QuerySet[Organization]:
    """The organizations that take part in ``campaign``, in tree order."""
    if campaign.state == CampaignState.DRAFT:
        root = campaign.root
        return subtree_on(root, campaign_day(campaign)).exclude(pk=root.pk).filter(is_active=True)
    return Organization.objects.filter(evaluations__campaign=campaign).order_by("path")


def categories_without_criteria(campaign: Campaign, organizations: QuerySet[Organization]) -> list[str]:
    """The categories among ``organizations`` the campaign's scheme has no criteria for (opening refuses them)."""
    scheme = campaign.scheme
    categories = set(organizations.order_by().values_list("category", flat=True).distinct())
    return sorted(category for category in categories if not scheme.criteria_for(category))


def is_newly_founded(campaign: Campaign, organization: Organization) -> bool:
    """Founded after the campaign's cut-off date: rated as the scheme says of a newly founded organization."""
    founded: date | None = organization.founded
    return bool(founded and founded > campaign.founded_cutoff)
