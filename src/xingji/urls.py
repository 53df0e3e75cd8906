"""The project's URLs: one include per app; the admin is the back office."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # First: the ballot is the address a whole meeting posts to at once, matched before any other.
    path("ballot/", include("xingji.surveys.public_urls")),
    path("", include("xingji.web.urls")),
    path("accounts/", include("xingji.accounts.urls")),
    path("orgs/", include("xingji.orgs.urls")),
    path("audit/", include("xingji.audit.urls")),
    path("records/", include("xingji.records.urls")),
    path("campaigns/", include("xingji.campaigns.urls")),
    path("notices/", include("xingji.campaigns.public_urls")),
    path("surveys/", include("xingji.surveys.urls")),
    path("ledger/", include("xingji.ledger.urls")),
    path("branchwork/", include("xingji.branchwork.urls")),
    path("supervision/", include("xingji.supervision.urls")),
    path("reports/", include("xingji.reports.urls")),
    path("dues/", include("xingji.dues.urls")),
    path("results/", include("xingji.reports.public_urls")),
    path("api/", include("xingji.api.urls")),
    path("admin/", admin.site.urls),
]
