"""The progress page's ECharts chart and office actions, the draft campaign edit page, the PDF export."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from tests.campaigns.steps import YEAR, actions, evaluation_of, rated_campaign
from xingji.campaigns import services
from xingji.campaigns.models import CampaignState
from xingji.campaigns.workflow import CAMPAIGN_TRANSITIONS
from xingji.common import documents


def _level_data(content: str) -> list[dict]:
    start = content.index('<script id="level-chart-data" type="application/json">')
    body = content[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(body)


def test_it_draws_the_distribution_with_vendored_echarts(
    client, campaign, office_user, django_capture_on_commit_callbacks
):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    client.force_login(office_user)
    response = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert f'<script src="{static("vendor/echarts/echarts.min.js")}"' in content
    assert f'<script src="{static("xingji/level-chart.js")}"' in content
    assert "<svg" in content and 'id="level-chart-fallback"' in content  # the no-JS fallback stays
    proposed = Counter(campaign.evaluations.exclude(level=None).values_list("level", flat=True))
    approved = Counter(campaign.evaluations.exclude(approved_level=None).values_list("approved_level", flat=True))
    data = _level_data(content)
    assert [row["level"] for row in data] == sorted(campaign.scheme.level_values(), reverse=True)
    assert {row["level"]: row["proposed"] for row in data} == {
        level: proposed.get(level, 0) for level in campaign.scheme.level_values()
    }
    assert {row["level"]: row["approved"] for row in data} == {
        level: approved.get(level, 0) for level in campaign.scheme.level_values()
    }
    assert sum(row["proposed"] for row in data) == campaign.evaluations.count() > 0
    assert all(row["name"] == campaign.level_name(row["level"]) for row in data)


def test_the_vendored_echarts_is_there_with_its_licence():
    from django.contrib.staticfiles import finders

    script = finders.find("vendor/echarts/echarts.min.js")
    assert script is not None
    assert finders.find("vendor/echarts/LICENSE") is not None
    with open(finders.find("vendor/echarts/LICENSE"), encoding="utf-8") as licence:
        assert "Apache License" in licence.read()


def _action_urls(campaign) -> dict[str, str]:
    return {
        "update": reverse("campaigns:edit", args=[campaign.pk]),
        "open": reverse("campaigns:open", args=[campaign.pk]),
        "publish": reverse("campaigns:notice_publish", args=[campaign.pk]),
        "approve": reverse("campaigns:approve", args=[campaign.pk]),
        "municipal": reverse("campaigns:municipal_send", args=[campaign.pk]),
    }


@pytest.mark.parametrize(
    "state",
    [CampaignState.DRAFT, CampaignState.OPEN, CampaignState.NOTICE, CampaignState.APPROVED, CampaignState.CLOSED],
)
def test_it_shows_only_the_office_actions_the_state_allows(client, tree, office_user, state):
    created = services.campaign_create(root=tree.root, year=YEAR, kind="mid_year", actor=office_user)
    type(created).objects.filter(pk=created.pk).update(state=state)
    client.force_login(office_user)
    content = client.get(reverse("campaigns:detail", args=[created.pk])).content.decode()
    for code, url in _action_urls(created).items():
        # Besides the state, a notice needs rated organizations, an approval organizations whose notice has
        # passed, the municipal re-review approved five-star results (test_offered_actions.py): none here.
        allowed = state in CAMPAIGN_TRANSITIONS[code].sources and code not in ("publish", "approve", "municipal")
        assert (f'"{url}"' in content) is allowed, (state, code)
    assert ("发布公示：全面评定完成后" in content) is (state in CAMPAIGN_TRANSITIONS["publish"].sources)
    objections = reverse("campaigns:objections", args=[created.pk])
    assert (f'"{objections}"' in content) is (state == CampaignState.NOTICE)


def test_it_edits_a_draft_campaign(client, tree, office_user):
    created = services.campaign_create(root=tree.root, year=YEAR, kind="mid_year", actor=office_user)
    deadline = timezone.localdate() + timedelta(days=10)
    client.force_login(office_user)
    response = client.get(reverse("campaigns:edit", args=[created.pk]))
    assert response.status_code == 200
    assert created.name in response.content.decode()
    response = client.post(
        reverse("campaigns:edit", args=[created.pk]),
        {
            "name": "新名称",
            "deadline": deadline.isoformat(),
            "quota_mode": "enforce",
            "notice_days": "10",
            "founded_cutoff": f"{YEAR}-01-01",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:detail", args=[created.pk])
    created.refresh_from_db()
    assert (
        created.name,
        created.deadline.isoformat(),
        created.quota_mode,
        created.notice_days,
        created.founded_cutoff.isoformat(),
    ) == ("新名称", deadline.isoformat(), "enforce", 10, f"{YEAR}-01-01")
    assert actions("campaign.") == ["campaign.created", "campaign.updated"]


def test_it_shows_the_errors_of_the_edit_form(client, tree, office_user):
    created = services.campaign_create(root=tree.root, year=YEAR, kind="mid_year", actor=office_user)
    client.force_login(office_user)
    response = client.post(reverse("campaigns:edit", args=[created.pk]), {"name": "", "notice_days": "0"})
    assert response.status_code == 200
    created.refresh_from_db()
    assert created.name != ""
    assert actions("campaign.") == ["campaign.created"]


def test_it_refuses_editing_an_opened_campaign(client, campaign, office_user):
    name = campaign.name
    client.force_login(office_user)
    response = client.post(
        reverse("campaigns:edit", args=[campaign.pk]),
        {
            "name": "新名称",
            "deadline": f"{YEAR}-06-30",
            "quota_mode": "enforce",
            "notice_days": "10",
            "founded_cutoff": f"{YEAR}-01-01",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("campaigns:detail", args=[campaign.pk])
    assert "不能修改评定活动" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.name == name
    assert "campaign.updated" not in actions("campaign.")


def test_it_refuses_the_edit_page_to_a_reviewer(client, tree, office_user, reviewer):
    created = services.campaign_create(root=tree.root, year=YEAR, kind="mid_year", actor=office_user)
    client.force_login(reviewer)
    assert client.get(reverse("campaigns:edit", args=[created.pk])).status_code == 403


def test_it_exports_the_self_evaluation_as_pdf(client, campaign, tree, secretary, monkeypatch):
    seen = []

    def fake_pdf(data):
        seen.append(data[:2])
        return b"%PDF-1.7 fake"

    monkeypatch.setattr(documents, "docx_to_pdf", fake_pdf)
    monkeypatch.setattr(documents, "soffice_path", lambda: "/usr/bin/soffice")
    evaluation = evaluation_of(campaign, tree.finance_1)
    client.force_login(secretary)
    detail = client.get(reverse("campaigns:evaluation", args=[evaluation.pk])).content.decode()
    assert reverse("campaigns:self_evaluation_pdf", args=[evaluation.pk]) in detail
    assert "PDF 版不可用" not in detail
    response = client.get(reverse("campaigns:self_evaluation_pdf", args=[evaluation.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == b"%PDF-1.7 fake"
    assert ".pdf" in response["Content-Disposition"]
    assert seen == [b"PK"]  # converted from the .docx


def test_it_says_when_libreoffice_is_absent(client, campaign, tree, secretary, monkeypatch):
    monkeypatch.setattr(documents, "docx_to_pdf", lambda data: None)
    evaluation = evaluation_of(campaign, tree.finance_1)
    client.force_login(secretary)
    response = client.get(reverse("campaigns:self_evaluation_pdf", args=[evaluation.pk]))
    assert response.status_code == 503
    content = response.content.decode()
    assert "本机未安装 LibreOffice，暂不能导出 PDF，请下载 Word 版" in content
    assert reverse("campaigns:self_evaluation_docx", args=[evaluation.pk]) in content


def test_it_offers_the_word_form_alone_without_libreoffice(client, campaign, tree, secretary, office_user, monkeypatch):
    # given a machine without LibreOffice
    monkeypatch.setattr(documents, "soffice_path", lambda: None)
    evaluation = evaluation_of(campaign, tree.finance_1)
    page = reverse("campaigns:evaluation", args=[evaluation.pk])
    note = '<span class="muted">（服务器未安装 LibreOffice，PDF 版不可用）</span>'

    # when the branch opens the evaluation page, then it offers the Word form, and no PDF
    client.force_login(secretary)
    content = client.get(page).content.decode()
    assert reverse("campaigns:self_evaluation_pdf", args=[evaluation.pk]) not in content
    assert "导出自评表（PDF）" not in content
    assert reverse("campaigns:self_evaluation_docx", args=[evaluation.pk]) in content
    assert note not in content  # the server's setup is the office's business, not the branch's

    # and the office, which can have LibreOffice installed, is told why
    client.force_login(office_user)
    assert note in client.get(page).content.decode()


def test_it_looks_for_libreoffice_once_per_process(monkeypatch):
    looked_up = []

    def which(name):
        looked_up.append(name)
        return "/usr/bin/soffice" if name == "soffice" else None

    documents.soffice_path.cache_clear()
    monkeypatch.setattr(documents.shutil, "which", which)
    try:
        assert [documents.pdf_available() for _ in range(3)] == [True, True, True]
        assert documents.soffice_path() == "/usr/bin/soffice"
        assert looked_up == ["soffice"]
    finally:
        documents.soffice_path.cache_clear()
