"""The results pages and exports: read back (pypdf, openpyxl, python-docx), scoped, and public without login."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.campaigns.steps import audit_count
from tests.factories import OrganizationFactory, UserFactory
from xingji.accounts.models import Role
from xingji.audit.chain import head_hash
from xingji.common.pdf import PdfFontMissing
from xingji.reports import selectors, services
from xingji.reports.models import DemonstrationSite, ResultPublication

YEAR = 2025
A4_LANDSCAPE = (842, 595)


@pytest.fixture
def plaques(approved, office_user):
    return services.plaques_issue(year=YEAR, issuing_body="中共安阳市直机关工委", actor=office_user)


def _pdf(response) -> PdfReader:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content))


def _rows(response) -> list[tuple]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = []
    for row in sheet.iter_rows(values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        rows.append(tuple(values))
    return rows


# --- plaques ------------------------------------------------------------------------------------------------


def test_the_years_plaques_print_one_a4_landscape_page_each(client, office_user, plaques):
    client.force_login(office_user)
    reader = _pdf(client.get(reverse("reports:plaques_pdf", args=[YEAR])))
    assert len(reader.pages) == 2
    for page, name, serial in zip(
        reader.pages, ["财政局第一支部", "教育局第一支部"], ["2025-001", "2025-002"], strict=True
    ):
        text = page.extract_text()
        for expected in (name, "五星级服务型党组织", "2025年度", "中共安阳市直机关工委", f"编号：{serial}"):
            assert expected in text
        assert tuple(round(value) for value in (page.mediabox.width, page.mediabox.height)) == A4_LANDSCAPE


def test_a_secretary_prints_its_own_plaque_and_no_other(client, secretary, plaques, tree):
    client.force_login(secretary)
    own, other = plaques
    reader = _pdf(client.get(reverse("reports:plaque_pdf", args=[own.pk])))
    assert len(reader.pages) == 1 and "财政局第一支部" in reader.pages[0].extract_text()
    assert client.get(reverse("reports:plaque_pdf", args=[other.pk])).status_code == 404
    page = client.get(reverse("reports:year", args=[YEAR])).content.decode()
    assert reverse("reports:plaque_pdf", args=[own.pk]) in page
    assert "教育局第一支部" not in page
    assert "制作授牌证书" not in page


def test_without_a_chinese_font_the_plaque_page_says_what_to_install(client, office_user, plaques, monkeypatch):
    def missing():
        raise PdfFontMissing("未找到中文字体：请安装 fonts-wqy-zenhei")

    monkeypatch.setattr("xingji.reports.documents.cjk_font", missing)
    client.force_login(office_user)
    response = client.get(reverse("reports:plaques_pdf", args=[YEAR]))
    assert response.status_code == 503
    assert "fonts-wqy-zenhei" in response.content.decode()


def test_the_office_issues_plaques_from_the_year_page(client, office_user, approved):
    client.force_login(office_user)
    page = client.get(reverse("reports:year", args=[YEAR])).content.decode()
    assert reverse("reports:plaques_issue", args=[YEAR]) in page
    response = client.post(reverse("reports:plaques_issue", args=[YEAR]), {"issuing_body": "", "issued_on": ""})
    assert response.status_code == 302
    page = client.get(reverse("reports:year", args=[YEAR])).content.decode()
    assert "2025-001" in page and "2025-002" in page


def test_a_refused_issue_shows_the_reason_on_the_form(client, office_user, plaques):
    client.force_login(office_user)
    response = client.post(reverse("reports:plaques_issue", args=[YEAR]), {})
    assert response.status_code == 200
    assert "2025年度没有尚未授牌的五星级党组织" in response.content.decode()


# --- demonstration sites and recommendations ------------------------------------------------------------------


def test_the_site_form_offers_only_five_star_organizations(client, office_user, approved, tree):
    client.force_login(office_user)
    url = reverse("reports:site_create", args=[YEAR])
    page = client.get(url).content.decode()
    assert "财政局第一支部" in page and "财政局第二支部" not in page
    response = client.post(url, {"organization": tree.finance_2.pk, "reason": "好"})
    assert response.status_code == 200 and DemonstrationSite.objects.count() == 0
    assert client.post(url, {"organization": tree.finance_1.pk, "reason": "基础扎实"}).status_code == 302
    assert DemonstrationSite.objects.get().reason == "基础扎实"


def test_the_site_list_searches_and_exports(client, office_user, approved, tree):
    services.demonstration_site_choose(organization=tree.finance_1, year=YEAR, reason="基础扎实", actor=office_user)
    services.demonstration_site_choose(organization=tree.education_1, year=YEAR, reason="活动经常", actor=office_user)
    client.force_login(office_user)
    page = client.get(reverse("reports:site_list"), {"q": "教育"}).content.decode()
    assert "教育局第一支部" in page and "财政局第一支部" not in page
    rows = _rows(client.get(reverse("reports:site_export"), {"q": "教育"}))
    assert rows[0] == ("示范点名单",)
    assert rows[1] == (f"审计链校验值：{head_hash()}",)
    assert rows[4][:4] == ("年度", "组织编码", "党组织", "确定理由")
    assert [row[:4] for row in rows[5:]] == [(2025, "EDU-1", "教育局第一支部", "活动经常")]


def test_the_recommendation_list_exports_to_excel_and_word(client, office_user, approved, tree):
    services.recommendation_create(organization=tree.finance_1, year=YEAR, deeds="服务群众成效显著", actor=office_user)
    services.recommendation_create(organization=tree.education_1, year=YEAR, deeds='=HYPERLINK("x")', actor=office_user)
    client.force_login(office_user)
    rows = _rows(client.get(reverse("reports:recommendation_xlsx", args=[YEAR])))
    assert rows[0] == ("2025年度先进基层党组织推荐名单",)
    assert [row[:5] for row in rows[5:]] == [
        (1, "FIN-1", "财政局第一支部", "服务群众成效显著", "草稿"),
        (2, "EDU-1", "教育局第一支部", '=HYPERLINK("x")', "草稿"),
    ]
    response = client.get(reverse("reports:recommendation_docx", args=[YEAR]))
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    assert document.paragraphs[0].text == "2025年度先进基层党组织推荐名单"
    table = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert table == [
        ["序号", "党组织", "状态", "主要事迹"],
        ["1", "财政局第一支部", "草稿", "服务群众成效显著"],
        ["2", "教育局第一支部", "草稿", '=HYPERLINK("x")'],
    ]


def test_the_office_submits_and_decides_from_the_pages(client, office_user, approved, tree):
    client.force_login(office_user)
    response = client.post(
        reverse("reports:recommendation_create", args=[YEAR]), {"organization": tree.finance_1.pk, "deeds": "事迹"}
    )
    assert response.status_code == 302
    client.post(reverse("reports:recommendation_submit", args=[YEAR]))
    recommendation = selectors.recommendations(office_user, year=YEAR).get()
    assert recommendation.state == "submitted"
    response = client.post(
        reverse("reports:recommendation_decide", args=[recommendation.pk]),
        {
            "adopted": "1",
            "note": "已表彰",
            "record_commendation": "on",
            "commended_on": "2026-01-10",
            "issuer": "市直工委",
        },
    )
    assert response.status_code == 302
    recommendation.refresh_from_db()
    assert (recommendation.state, recommendation.commendation.title) == ("adopted", "先进基层党组织")


def test_a_reviewer_reads_the_list_but_sees_no_action(client, reviewer, office_user, approved, tree):
    services.recommendation_create(organization=tree.finance_1, year=YEAR, deeds="事迹", actor=office_user)
    client.force_login(reviewer)
    page = client.get(reverse("reports:recommendation_list", args=[YEAR])).content.decode()
    assert "财政局第一支部" in page
    assert "推荐组织" not in page and "报送推荐名单" not in page and "删除" not in page
    assert client.post(reverse("reports:recommendation_submit", args=[YEAR])).status_code == 403


# --- the annual assessment export ---------------------------------------------------------------------------------


def test_the_annual_assessment_lists_every_organization_with_its_result(client, office_user, approved, tree):
    client.force_login(office_user)
    rows = _rows(client.get(reverse("reports:assessment_export", args=[YEAR])))
    assert rows[0] == ("2025年度基层党组织星级评定结果（年度考核用）",)
    assert rows[1] == (f"审计链校验值：{head_hash()}",)
    assert rows[2][0].startswith("导出时间：")
    assert rows[4] == tuple(selectors.ASSESSMENT_HEADERS)
    by_code = {row[0]: row for row in rows[5:]}
    assert list(by_code) == ["ROOT", "FIN", "FIN-1", "FIN-2", "EDU", "EDU-1"]
    assert by_code["ROOT"][1:3] == ("市直工委", "未参评")
    assert by_code["ROOT"][3:] == ()
    fin_1 = by_code["FIN-1"]
    assert fin_1[2:6] == ("五星级", 95, 95, "2025年度申报创星")
    assert fin_1[7:] == ("工委会纪要〔2026〕3号", "五星级")
    assert by_code["FIN-2"][2] == "四星级"


def test_a_reviewer_exports_only_its_subtree(client, reviewer, approved):
    client.force_login(reviewer)
    rows = _rows(client.get(reverse("reports:assessment_export", args=[YEAR])))
    assert [row[0] for row in rows[5:]] == ["FIN", "FIN-1", "FIN-2"]


def test_the_annual_assessment_reads_in_a_fixed_number_of_queries(office_user, approved, tree):
    with CaptureQueriesContext(connection) as few:
        selectors.assessment_rows(office_user, YEAR)
    for number in range(5):
        OrganizationFactory(name=f"新支部{number}", code=f"NEW-{number}", parent=tree.finance)
    with CaptureQueriesContext(connection) as many:
        rows = selectors.assessment_rows(office_user, YEAR)
    assert len(rows) == 11
    assert len(many) == len(few)


# --- publication -------------------------------------------------------------------------------------------------


def test_the_public_page_shows_the_rows_and_the_hash_without_login(client, office_user, approved, tree):
    publication = services.results_publish(root=tree.root, year=YEAR, confirmation="确认发布", actor=office_user)
    publication.refresh_from_db()
    listing = client.get(reverse("results:list")).content.decode()
    assert publication.title in listing
    page = client.get(reverse("results:detail", args=[publication.pk])).content.decode()
    assert "财政局第一支部" in page and "五星级" in page and "财政局第二支部" in page
    assert publication.head_hash in page
    assert office_user.username not in page
    page = client.get(reverse("results:detail", args=[publication.pk]), {"q": "教育"}).content.decode()
    assert "教育局第一支部" in page and "财政局第一支部" not in page


def test_the_office_publishes_from_the_page_after_confirming_the_quota_warning_and_cannot_again(
    client, office_user, approved, tree
):
    client.force_login(office_user)
    url = reverse("reports:publish", args=[YEAR])
    # step one: the scope leads to the confirmation page, with the list and the quota warning; nothing published
    response = client.post(url, {"root": tree.root.pk, "title": ""})
    page = response.content.decode()
    preview = response.context["preview"]
    assert response.status_code == 200 and ResultPublication.objects.count() == 0
    assert [result.organization.code for result in preview.results] == ["FIN-1", "EDU-1", "FIN", "FIN-2", "EDU"]
    assert "五星级不超过10%（五(二)）：5个组织中五星级2个，占40%，超过上限（最多0个）" in page
    assert 'name="confirmation"' in page
    # step two without the typed phrase: refused, nothing published
    before = audit_count()
    data = {"root": tree.root.pk, "title": "", "confirm": "1", "digest": preview.digest, "confirmation": ""}
    response = client.post(url, data)
    assert response.status_code == 200 and "核对无误后请输入“确认发布”再发布" in response.content.decode()
    assert (ResultPublication.objects.count(), audit_count()) == (0, before)
    # with it: published, and the publication's page follows
    response = client.post(url, {**data, "confirmation": "确认发布"})
    publication = ResultPublication.objects.get()
    assert response["Location"] == reverse("results:detail", args=[publication.pk])
    # once everything is public, the confirmation page has nothing to publish, and a confirmation is refused
    before = audit_count()
    response = client.post(url, {"root": tree.root.pk, "title": ""})
    assert response.context["preview"].results == [] and "没有可以公布的评定结果" in response.content.decode()
    response = client.post(url, {**data, "confirmation": "确认发布"})
    assert response.status_code == 200 and "评定结果已公布" in response.content.decode()
    assert (ResultPublication.objects.count(), audit_count()) == (1, before)


def test_the_public_page_is_unchanged_by_a_later_ledger_change(
    client, office_user, approved, tree, clock, django_capture_on_commit_callbacks
):
    from tests.reports.conftest import approve
    from xingji.campaigns import services as campaign_services

    publication = services.results_publish(root=tree.root, year=YEAR, confirmation="确认发布", actor=office_user)
    # the year-end re-check lowers FIN-1 to four stars in the ledger
    year_end = campaign_services.campaign_create(root=tree.root, year=YEAR, kind="year_end", actor=office_user)
    year_end = campaign_services.campaign_open(campaign=year_end, actor=office_user)
    approve(year_end, clock, office_user, django_capture_on_commit_callbacks, scores={"EDU-1": "9.3"})
    assert not selectors.top_result(tree.finance_1, YEAR)
    page = client.get(reverse("results:detail", args=[publication.pk])).content.decode()
    row = page.index("财政局第一支部")
    assert "五星级" in page[row : row + 80]


def test_an_office_of_another_tree_sees_nothing_of_this_one(client, approved, plaques, tree):
    other_root = OrganizationFactory(name="另一工委", code="OTHER")
    user = UserFactory(username="other", organization=other_root, role=Role.COMMITTEE_OFFICE)
    client.force_login(user)
    assert client.get(reverse("reports:plaque_pdf", args=[plaques[0].pk])).status_code == 404
    assert client.get(reverse("reports:plaques_pdf", args=[YEAR])).status_code == 404
    rows = _rows(client.get(reverse("reports:assessment_export", args=[YEAR])))
    assert [row[0] for row in rows[5:]] == ["OTHER"]


def test_a_long_name_is_set_smaller_and_still_printed_whole(approved, office_user, tree):
    from xingji.reports.documents import plaques_pdf

    plaque = services.plaques_issue(year=YEAR, actor=office_user)[0]
    plaque.organization_name = "中共安阳市财政局机关委员会所属国库集中支付中心暨非税收入征收管理局联合第一支部委员会"
    text = PdfReader(io.BytesIO(plaques_pdf([plaque]))).pages[0].extract_text()
    assert plaque.organization_name in text.replace("\n", "")


def test_an_inspector_reads_its_subtree_and_may_not_act(client, inspector, plaques):
    client.force_login(inspector)
    page = client.get(reverse("reports:year", args=[YEAR])).content.decode()
    assert "财政局第一支部" in page and "教育局第一支部" not in page
    assert reverse("reports:site_create", args=[YEAR]) not in page
    assert reverse("reports:publish", args=[YEAR]) not in page
    assert len(_pdf(client.get(reverse("reports:plaques_pdf", args=[YEAR]))).pages) == 1
    before = audit_count()
    assert client.post(reverse("reports:publish", args=[YEAR]), {}).status_code == 403
    assert client.post(reverse("reports:plaques_issue", args=[YEAR]), {}).status_code == 403
    assert (ResultPublication.objects.count(), audit_count()) == (0, before)


def test_the_year_page_reads_in_a_fixed_number_of_queries(client, office_user, approved, tree):
    services.plaques_issue(year=YEAR, actor=office_user)
    services.demonstration_site_choose(organization=tree.finance_1, year=YEAR, reason="一", actor=office_user)
    client.force_login(office_user)
    url = reverse("reports:year", args=[YEAR])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    services.demonstration_site_choose(organization=tree.education_1, year=YEAR, reason="二", actor=office_user)
    services.recommendation_create(organization=tree.education_1, year=YEAR, deeds="事迹", actor=office_user)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_the_publish_button_appears_only_with_an_approved_result_to_publish(
    client, office_user, campaign, clock, django_capture_on_commit_callbacks
):
    from tests.reports.conftest import approve

    publish = reverse("reports:publish", args=[YEAR])
    client.force_login(office_user)

    # given a year whose campaign is not approved yet: no button, and the reason instead
    page = client.get(reverse("reports:year", args=[YEAR])).content.decode()
    assert publish not in page
    assert "本年度还没有经工委会批准的评定结果，批准后方可公布。" in page
    with pytest.raises(ValidationError, match=f"{YEAR}年度没有经批准的评定结果，不能公布"):
        services.results_publish(root=office_user.organization, year=YEAR, confirmation="确认发布", actor=office_user)

    # when the campaign is approved, then the button is offered
    approve(campaign, clock, office_user, django_capture_on_commit_callbacks)
    page = client.get(reverse("reports:year", args=[YEAR])).content.decode()
    assert f'href="{publish}"' in page and "批准后方可公布" not in page

    # and once published, neither the button nor the reason
    services.results_publish(root=office_user.organization, year=YEAR, confirmation="确认发布", actor=office_user)
    page = client.get(reverse("reports:year", args=[YEAR])).content.decode()
    assert publish not in page and "批准后方可公布" not in page
