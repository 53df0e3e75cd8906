"""The office's campaign pages: list, create, open, progress, evaluation list, export, query counts."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.campaigns.steps import YEAR, actions, evaluation_of, rated_campaign
from tests.factories import OrganizationFactory
from xingji.campaigns import services
from xingji.campaigns.models import Campaign, CampaignState


def test_it_lists_campaigns_for_every_role(client, campaign, secretary, inspector):
    for user in (secretary, inspector):
        client.force_login(user)
        response = client.get(reverse("campaigns:list"))
        assert response.status_code == 200
        assert campaign.name in response.content.decode()
        assert "开展评定活动" not in response.content.decode()


def test_it_creates_a_campaign_with_a_shipped_scheme(client, tree, office_user):
    client.force_login(office_user)
    assert client.get(reverse("campaigns:create")).status_code == 200
    response = client.post(
        reverse("campaigns:create"),
        {
            "root": tree.root.pk,
            "year": YEAR,
            "kind": "year_end",
            "scheme": "anyang-2017",
            "quota_mode": "enforce",
            "notice_days": "",
            "deadline": "",
            "name": "",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:detail", args=[campaign.pk])
    assert (campaign.kind, campaign.quota_mode, campaign.state) == ("year_end", "enforce", CampaignState.DRAFT)
    # The kind's deadline (31 December) of a past year is not a default: two weeks from today instead.
    assert campaign.deadline == timezone.localdate() + timedelta(days=14)
    assert actions("campaign.") == ["campaign.created"]


def test_it_shows_the_scheme_error_of_an_uploaded_toml(client, tree, office_user):
    client.force_login(office_user)
    upload = SimpleUploadedFile("坏方案.toml", b"id = 'x'\nname = \n", content_type="application/toml")
    response = client.post(
        reverse("campaigns:create"),
        {
            "root": tree.root.pk,
            "year": YEAR,
            "kind": "mid_year",
            "scheme": "__upload__",
            "scheme_file": upload,
            "quota_mode": "warn",
        },
    )
    assert response.status_code == 200
    assert "评定方案有误" in response.content.decode()
    assert not Campaign.objects.exists()


def test_it_refuses_the_create_page_to_a_reviewer(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("campaigns:create")).status_code == 403


def test_it_opens_a_campaign(client, tree, office_user):
    deadline = timezone.localdate() + timedelta(days=30)
    created = services.campaign_create(root=tree.root, year=YEAR, kind="mid_year", deadline=deadline, actor=office_user)
    client.force_login(office_user)
    response = client.post(reverse("campaigns:open", args=[created.pk]))
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.state == CampaignState.OPEN
    assert created.evaluations.count() == 5
    assert actions("campaign.") == ["campaign.created", "campaign.opened"]
    # Opening again is refused with a message, nothing changes.
    response = client.post(reverse("campaigns:open", args=[created.pk]), follow=True)
    assert "开展评定" in response.content.decode()
    assert actions("campaign.") == ["campaign.created", "campaign.opened"]


def test_it_refuses_opening_to_a_reviewer(client, tree, office_user, reviewer):
    created = services.campaign_create(root=tree.root, year=YEAR, kind="mid_year", actor=office_user)
    client.force_login(reviewer)
    assert client.post(reverse("campaigns:open", args=[created.pk])).status_code == 403
    created.refresh_from_db()
    assert created.state == CampaignState.DRAFT


def test_it_shows_progress_with_a_table_and_an_svg_chart(
    client, campaign, office_user, django_capture_on_commit_callbacks
):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    client.force_login(office_user)
    response = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in content and "<rect" in content
    assert 'id="distribution"' in content
    assert "财政局机关党委" in content  # drill-down to the children
    assert f"{reverse('campaigns:evaluation_list', args=[campaign.pk])}?under=" in content
    # Nothing is loaded from elsewhere (a CSRF token may contain any letters, so look at addresses only).
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", content)


def test_it_drills_down_to_a_node(client, campaign, tree, office_user):
    client.force_login(office_user)
    response = client.get(reverse("campaigns:detail", args=[campaign.pk]), {"node": tree.finance.pk})
    assert response.status_code == 200
    assert response.context["progress"].total == 3
    assert "财政局第一支部" in response.content.decode()


def test_it_shows_the_secretary_its_own_progress(client, campaign, secretary):
    client.force_login(secretary)
    response = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert response.status_code == 200
    assert response.context["progress"].total == 1


def test_it_filters_and_searches_the_evaluation_list(client, campaign, tree, office_user):
    client.force_login(office_user)
    url = reverse("campaigns:evaluation_list", args=[campaign.pk])
    response = client.get(url, {"q": "FIN-1"})
    assert [e.organization.code for e in response.context["page_obj"]] == ["FIN-1"]
    response = client.get(url, {"under": tree.education.pk})
    assert [e.organization.code for e in response.context["page_obj"]] == ["EDU", "EDU-1"]
    response = client.get(url, {"state": "self_submitted"})
    assert list(response.context["page_obj"]) == []


def test_it_exports_the_results(client, campaign, tree, office_user, django_capture_on_commit_callbacks):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks, scores={"FIN-1": 9})
    client.force_login(office_user)
    response = client.get(reverse("campaigns:export", args=[campaign.pk]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "党组织",
        "组织编号",
        "状态",
        "自评得分",
        "考评得分",
        "最终得分",
        "评定星级（建议）",
        "当前星级",
        "评定理由",
    )
    by_code = {row[1]: row for row in rows[1:6]}
    assert set(by_code) == {"FIN", "FIN-1", "FIN-2", "EDU", "EDU-1"}
    evaluation = evaluation_of(campaign, tree.finance_1)
    row = by_code["FIN-1"]
    assert row[4] == 90
    assert row[5] == float(evaluation.final_score)
    assert row[6] == campaign.level_name(evaluation.level)
    # not approved yet: no line in the star ledger, so no current level
    assert (row[7] or "") == ""
    assert (row[8] or "") == "；".join(reason["message"] for reason in evaluation.reasons)


def _measure(client, urls) -> list[int]:
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    return counts


def _urls(campaign) -> list[str]:
    return [
        reverse("campaigns:list"),
        reverse("campaigns:detail", args=[campaign.pk]),
        reverse("campaigns:evaluation_list", args=[campaign.pk]),
        reverse("campaigns:rating", args=[campaign.pk]),
    ]


@pytest.mark.django_db
def test_it_issues_the_same_number_of_queries_for_5_and_50_evaluations(client, campaign, tree, office_user):
    client.force_login(office_user)
    client.get(reverse("campaigns:list"))  # warm the session and the caches
    small = _measure(client, _urls(campaign))
    for number in range(45):
        OrganizationFactory(name=f"财政局支部{number}", code=f"FIN-X{number}", parent=tree.finance)
    large = services.campaign_open(
        campaign=services.campaign_create(root=tree.root, year=YEAR, kind="year_end", actor=office_user),
        actor=office_user,
    )
    assert large.evaluations.count() == 50
    assert _measure(client, _urls(large)) == small


def _crumbs(response) -> str:
    return re.search(r"<h2>评定进度：(.*?)</h2>", response.content.decode()).group(1)


def test_it_links_only_the_crumbs_the_user_may_open(client, campaign, tree, office_user, reviewer, secretary):
    url = reverse("campaigns:detail", args=[campaign.pk])
    root, finance = (f'<a href="?node={node.pk}">{node.name}</a>' for node in (tree.root, tree.finance))

    # the secretary sees its branch under two nodes it may not open: plain text
    client.force_login(secretary)
    assert _crumbs(client.get(url)) == "市直工委 › 财政局机关党委 › 财政局第一支部"
    assert client.get(url, {"node": tree.finance.pk}).status_code == 404

    # the reviewer may open its own node, not the committee above it
    client.force_login(reviewer)
    assert _crumbs(client.get(url, {"node": tree.finance_1.pk})) == f"市直工委 › {finance} › 财政局第一支部"

    # the office may open every node
    client.force_login(office_user)
    assert _crumbs(client.get(url, {"node": tree.finance_1.pk})) == f"{root} › {finance} › 财政局第一支部"
