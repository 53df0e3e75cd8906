"""The ledger pages through the test client: round trips, guards, downloads, and fixed query counts."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from tests.factories import UserFactory
from tests.ledger.conftest import PDF, audit_count, closing_item, make_plan, open_item
from xingji.accounts.models import Role
from xingji.campaigns.models import StarLedgerEntry
from xingji.ledger import services
from xingji.ledger.models import ImprovementPlan, ItemSource, ItemState, PlanState, RectificationItem

pytestmark = pytest.mark.django_db


def logged_in(client, user):
    client.force_login(user)
    return client


def counts_on(response) -> dict[str, int]:
    return response.context["counts"]


# --- items -------------------------------------------------------------------------------------


def test_the_secretary_opens_a_self_found_item_from_the_form(client, tree, secretary, today):
    logged_in(client, secretary)
    page = client.get(reverse("ledger:item_create"))
    assert [value for value, _ in page.context["form"].fields["source"].choices] == ["self"]

    response = client.post(
        reverse("ledger:item_create"),
        {
            "organization": tree.finance_1.pk,
            "problem": "发展党员程序不规范",
            "source": "self",
            "source_note": "",
            "target": "程序规范",
            "measures": "逐项检查",
            "responsible": "王五",
            "deadline": (today + timedelta(days=10)).isoformat(),
        },
    )

    item = RectificationItem.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("ledger:item_detail", args=[item.pk])
    assert (item.problem, item.source, item.opened_by_superior) == ("发展党员程序不规范", "self", False)


def test_a_past_deadline_is_refused_on_the_form(client, tree, secretary, today):
    response = logged_in(client, secretary).post(
        reverse("ledger:item_create"),
        {
            "organization": tree.finance_1.pk,
            "problem": "问题",
            "source": "self",
            "target": "目标",
            "measures": "措施",
            "responsible": "王五",
            "deadline": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["deadline"] == ["整改时限不能早于今天"]
    assert RectificationItem.objects.count() == 0


def test_the_office_opens_an_item_prefilled_from_an_upheld_objection(client, tree, office_user):
    url = reverse("ledger:item_create") + f"?organization={tree.education_1.pk}&source=objection&note=异议第3号"
    form = logged_in(client, office_user).get(url).context["form"]
    assert (form.initial["organization"], form.initial["source"], form.initial["source_note"]) == (
        tree.education_1.pk,
        "objection",
        "异议第3号",
    )


def test_the_prefill_of_an_organization_outside_the_subtree_is_404(client, tree, secretary):
    url = reverse("ledger:item_create") + f"?organization={tree.finance_2.pk}"
    assert logged_in(client, secretary).get(url).status_code == 404


def test_the_list_counts_filters_and_highlights_overdue_items(client, tree, secretary, reviewer, office_user, today):
    open_item(tree.finance_1, secretary, problem="按期问题")
    late = open_item(tree.education_1, office_user, problem="逾期问题", source=ItemSource.INSPECTION)
    RectificationItem.objects.filter(pk=late.pk).update(deadline=today - timedelta(days=2))
    logged_in(client, office_user)

    response = client.get(reverse("ledger:item_list"))
    assert counts_on(response) == {"open": 2, "closing": 0, "closed": 0, "overdue": 1, "near": 0}
    assert response.content.decode().count('class="overdue"') == 1

    only_overdue = client.get(reverse("ledger:item_list"), {"overdue": "1"})
    assert [row["item"].problem for row in only_overdue.context["rows"]] == ["逾期问题"]
    by_source = client.get(reverse("ledger:item_list"), {"source": "self"})
    assert [row["item"].problem for row in by_source.context["rows"]] == ["按期问题"]
    searched = client.get(reverse("ledger:item_list"), {"q": "教育局"})
    assert [row["item"].problem for row in searched.context["rows"]] == ["逾期问题"]
    under = client.get(reverse("ledger:item_list"), {"under": tree.finance.pk})
    assert [row["item"].problem for row in under.context["rows"]] == ["按期问题"]

    secretary_view = logged_in(client, secretary).get(reverse("ledger:item_list"))
    assert [row["item"].problem for row in secretary_view.context["rows"]] == ["按期问题"]


def test_closing_through_the_pages_with_evidence_and_confirmation(client, tree, secretary, reviewer, today):
    item = open_item(tree.finance_1, reviewer, source=ItemSource.RECHECK)
    logged_in(client, secretary)
    detail = client.get(reverse("ledger:item_detail", args=[item.pk]))
    assert detail.context["can_request"] and not detail.context["can_edit"] and not detail.context["can_review"]

    response = client.post(
        reverse("ledger:item_request_close", args=[item.pk]),
        {"evidence": "已全部整改", "file": SimpleUploadedFile("证明.pdf", PDF, content_type="application/pdf")},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == ItemState.CLOSING
    attachment = services.item_attachments(item).get()
    download = client.get(reverse("ledger:item_attachment", args=[item.pk, attachment.pk]))
    assert b"".join(download.streaming_content) == PDF

    logged_in(client, reviewer)
    assert client.get(reverse("ledger:item_detail", args=[item.pk])).context["can_review"]
    client.post(reverse("ledger:item_confirm", args=[item.pk]), {"comment": "同意销账"})
    item.refresh_from_db()
    assert (item.state, item.closed_on, item.review_comment) == (ItemState.CLOSED, today, "同意销账")


def test_a_closing_request_without_a_file_shows_the_error(client, tree, secretary):
    item = open_item(tree.finance_1, secretary)
    response = logged_in(client, secretary).post(
        reverse("ledger:item_request_close", args=[item.pk]), {"evidence": "已整改"}
    )
    assert response.status_code == 200
    assert "申请销账须至少上传一份佐证材料" in response.content.decode()
    item.refresh_from_db()
    assert item.state == ItemState.OPEN


def test_a_refusal_without_comment_is_refused_with_a_message(client, tree, secretary, reviewer):
    item = closing_item(tree.finance_1, secretary, reviewer)
    before = audit_count()
    response = logged_in(client, reviewer).post(
        reverse("ledger:item_refuse", args=[item.pk]), {"comment": ""}, follow=True
    )
    assert "退回销账申请须填写意见" in response.content.decode()
    item.refresh_from_db()
    assert item.state == ItemState.CLOSING and audit_count() == before


def test_the_secretary_may_not_confirm_its_own_closing(client, tree, secretary, reviewer):
    item = closing_item(tree.finance_1, secretary, reviewer)
    assert logged_in(client, secretary).post(reverse("ledger:item_confirm", args=[item.pk])).status_code == 403
    item.refresh_from_db()
    assert item.state == ItemState.CLOSING


def test_an_item_outside_the_subtree_is_404_and_the_inspector_gets_403_on_writes(
    client, tree, secretary, inspector, office_user
):
    other = open_item(tree.finance_2, office_user)
    mine = open_item(tree.finance_1, secretary)
    logged_in(client, secretary)
    assert client.get(reverse("ledger:item_detail", args=[other.pk])).status_code == 404
    attachment_url = reverse("ledger:item_attachment", args=[other.pk, 1])
    assert client.get(attachment_url).status_code == 404
    logged_in(client, inspector)
    assert client.get(reverse("ledger:item_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("ledger:item_create")).status_code == 403
    assert client.get(reverse("ledger:item_edit", args=[mine.pk])).status_code == 403


def test_the_item_edit_page_saves_through_the_service(client, tree, secretary):
    item = open_item(tree.finance_1, secretary)
    logged_in(client, secretary).post(
        reverse("ledger:item_edit", args=[item.pk]),
        {
            "problem": "改过的问题",
            "source": "self",
            "source_note": "",
            "target": item.target,
            "measures": item.measures,
            "responsible": item.responsible,
            "deadline": item.deadline.isoformat(),
        },
    )
    item.refresh_from_db()
    assert item.problem == "改过的问题"


def test_export_and_import_pages(client, tree, secretary, office_user):
    open_item(tree.finance_1, secretary, problem="甲")
    open_item(tree.education_1, office_user, problem="乙", source=ItemSource.CRITICISM)
    logged_in(client, office_user)

    export = client.get(reverse("ledger:item_export"), {"source": "criticism"})
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert [row[2] for row in rows[2:]] == ["乙"]

    RectificationItem.objects.all().delete()
    upload = SimpleUploadedFile("台账.xlsx", export.content)
    response = client.post(reverse("ledger:item_import"), {"file": upload})
    assert response.status_code == 302
    assert list(RectificationItem.objects.values_list("problem", flat=True)) == ["乙"]

    again = client.post(reverse("ledger:item_import"), {"file": SimpleUploadedFile("台账.xlsx", export.content)})
    assert again.status_code == 200
    assert [str(error) for error in again.context["errors"]] == [
        "第3行：台账中已有相同的整改事项（党组织、问题、来源和时限都相同）"
    ]
    assert RectificationItem.objects.count() == 1

    template = client.get(reverse("ledger:item_template"))
    assert load_workbook(io.BytesIO(template.content)).active["A2"].value == "序号"


def list_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("ledger:item_list"))
    assert response.status_code == 200
    return len(captured)


def add_items(organization, count: int, today: date) -> None:
    RectificationItem.objects.bulk_create(
        [
            RectificationItem(
                organization=organization,
                problem=f"问题{index}",
                source=ItemSource.SELF,
                target="目标",
                measures="措施",
                responsible="张三",
                deadline=today + timedelta(days=index % 40 - 20),
            )
            for index in range(count)
        ]
    )


def test_the_list_issues_the_same_queries_for_10_and_100_items(client, tree, office_user, today):
    logged_in(client, office_user)
    add_items(tree.finance_1, 10, today)
    small = list_queries(client)
    add_items(tree.education_1, 90, today)
    assert list_queries(client) == small


def test_the_plan_list_issues_the_same_queries_for_few_and_many_plans(client, tree, office_user, today):
    logged_in(client, office_user)
    ImprovementPlan.objects.create(
        organization=tree.finance_1, year=today.year, target_level=2, measures="m", responsible="r"
    )
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("ledger:plan_list"))
    for organization in (tree.finance_2, tree.education_1, tree.education, tree.finance):
        ImprovementPlan.objects.create(
            organization=organization, year=today.year, target_level=2, measures="m", responsible="r"
        )
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("ledger:plan_list"))
    assert len(small) == len(large)


# --- plans -------------------------------------------------------------------------------------


def test_the_plan_form_shows_the_level_and_its_emphasis_and_creates_the_plan(
    client, tree, secretary, office_user, today
):
    StarLedgerEntry.objects.create(
        organization=tree.finance_1,
        level=5,
        level_name="五星级",
        effective_on=date(2025, 12, 31),
        approving_body="市直工委",
        reason="评定",
        approver=office_user,
    )
    logged_in(client, secretary)
    url = reverse("ledger:plan_create", args=[tree.finance_1.pk])
    page = client.get(url)
    assert page.context["emphasis"] == "巩固提高、打造示范品牌" and page.context["current_level_name"] == "五星级"

    lower = client.post(url, {"target_level": 4, "measures": "m", "responsible": "r", "milestones": ""})
    assert lower.context["form"].errors["target_level"] == ["目标星级不能低于现有星级（五星级）"]
    bad_line = client.post(
        url, {"target_level": 5, "measures": "m", "responsible": "r", "milestones": "2026-06-30 第一步\n下个月 第二步"}
    )
    assert bad_line.context["form"].errors["milestones"] == ["第2行应为“日期 任务”，如“2026-06-30 完善会议记录”"]
    assert ImprovementPlan.objects.count() == 0

    created = client.post(
        url,
        {
            "target_level": 5,
            "measures": "打造示范",
            "responsible": "书记",
            "milestones": "2026-06-30 第一步\n2026年9月1日 第二步",
        },
    )
    plan = ImprovementPlan.objects.get()
    assert created["Location"] == reverse("ledger:plan_detail", args=[plan.pk])
    assert [(m.due_on, m.description) for m in plan.milestones.all()] == [
        (date(2026, 6, 30), "第一步"),
        (date(2026, 9, 1), "第二步"),
    ]
    # A second plan for the year: the existing one is opened, no 500.
    assert client.get(url)["Location"] == reverse("ledger:plan_detail", args=[plan.pk])


def test_plan_submission_acknowledgement_and_docx_through_the_pages(client, tree, secretary, reviewer):
    plan = make_plan(tree.finance_1, secretary)
    logged_in(client, secretary)
    assert client.get(reverse("ledger:plan_detail", args=[plan.pk])).context["can_submit"]
    client.post(reverse("ledger:plan_submit", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.state == PlanState.SUBMITTED
    assert client.post(reverse("ledger:plan_acknowledge", args=[plan.pk])).status_code == 403

    logged_in(client, reviewer)
    listing = client.get(reverse("ledger:plan_list"))
    assert [p.pk for p in listing.context["page_obj"]] == [plan.pk]
    assert [o.name for o in listing.context["missing"]] == ["财政局第二支部"]
    client.post(reverse("ledger:plan_acknowledge", args=[plan.pk]), {"comment": "同意备案"})
    plan.refresh_from_db()
    assert (plan.state, plan.review_comment) == (PlanState.ACKNOWLEDGED, "同意备案")

    docx = client.get(reverse("ledger:plan_docx", args=[plan.pk]))
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "同意备案" in text


def test_a_plan_outside_the_subtree_is_404(client, tree, secretary, reviewer):
    other = make_plan(tree.finance_1, secretary)
    outsider = UserFactory(username="edu", organization=tree.education_1, role=Role.BRANCH_SECRETARY)
    assert logged_in(client, outsider).get(reverse("ledger:plan_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("ledger:plan_docx", args=[other.pk])).status_code == 404
