"""The supervision pages: forms through to the services, the focus list and its export, what is due."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import OrganizationFactory
from tests.supervision.conftest import audit_count, item_row, rate
from xingji.campaigns.models import StarLedgerEntry
from xingji.campaigns.selectors import current_level
from xingji.ledger.models import ItemSource, RectificationItem
from xingji.records.models import CriticismNotice
from xingji.supervision import due, services
from xingji.supervision.models import ChangeState, InspectionVisit, LevelChange, Recheck

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def formset(prefix: str, rows: list[dict], *, extra: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows) + extra),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value.isoformat() if hasattr(value, "isoformat") else value
    return data


def test_the_reviewer_records_a_recheck_with_items_and_a_downgrade_in_one_form(client, tree, reviewer, office_user):
    rate(tree.finance_1, 3, approver=office_user)
    client.force_login(reviewer)
    data = {
        "checked_on": today().isoformat(),
        "method": "site",
        "findings": "作用发挥不明显",
        "propose_level": "2",
        "propose_reason": "复检不达标",
        **formset("items", [item_row(), item_row(problem="党费收缴不及时")], extra=1),
    }

    response = client.post(reverse("supervision:recheck_create", args=[tree.finance_1.pk]), data)

    recheck = Recheck.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "supervision:recheck_detail", args=[recheck.pk]
    )
    assert sorted(recheck.items.values_list("problem", flat=True)) == ["三会一课记录不全", "党费收缴不及时"]
    change = LevelChange.objects.get()
    assert (change.recheck, change.to_level, change.reason, change.state) == (
        recheck,
        2,
        "复检不达标",
        ChangeState.PROPOSED,
    )
    page = client.get(response["Location"]).content.decode()
    assert "三会一课记录不全" in page and "待工委会批准" in page


def test_a_refused_proposal_in_the_recheck_form_keeps_nothing(client, tree, reviewer, office_user):
    rate(tree.finance_1, 3, approver=office_user)
    services.level_change_propose(organization=tree.finance_1, to_level=2, reason="理由", actor=reviewer)
    client.force_login(reviewer)
    before = (Recheck.objects.count(), RectificationItem.objects.count(), audit_count())
    data = {
        "checked_on": today().isoformat(),
        "method": "site",
        "findings": "问题",
        "propose_level": "1",
        **formset("items", [item_row()]),
    }
    response = client.post(reverse("supervision:recheck_create", args=[tree.finance_1.pk]), data)
    assert response.status_code == 200
    assert "已有待工委会批准的星级调整" in response.content.decode()
    assert (Recheck.objects.count(), RectificationItem.objects.count(), audit_count()) == before


def test_the_office_approves_on_the_page_and_the_reviewer_is_refused(client, tree, reviewer, office_user):
    rate(tree.finance_1, 3, approver=office_user)
    change = services.level_change_propose(organization=tree.finance_1, to_level=2, reason="理由", actor=reviewer)
    url = reverse("supervision:change_approve", args=[change.pk])
    data = {"meeting_on": today().isoformat(), "minutes_number": "纪要〔2026〕1号"}

    client.force_login(reviewer)
    page = client.get(reverse("supervision:change_detail", args=[change.pk])).content.decode()
    assert "批准并写入星级台账" not in page
    before = (StarLedgerEntry.objects.count(), audit_count())
    assert client.post(url, data).status_code == 403
    assert (StarLedgerEntry.objects.count(), audit_count()) == before

    client.force_login(office_user)
    page = client.get(reverse("supervision:change_detail", args=[change.pk])).content.decode()
    assert "批准并写入星级台账" in page
    response = client.post(url, data, follow=True)
    assert "星级管理台账已更新" in response.content.decode()
    assert StarLedgerEntry.objects.count() == before[0] + 1
    assert current_level(tree.finance_1) == 2


def test_an_approval_without_minutes_is_refused_with_a_message(client, tree, reviewer, office_user):
    rate(tree.finance_1, 3, approver=office_user)
    change = services.level_change_propose(organization=tree.finance_1, to_level=2, reason="理由", actor=reviewer)
    client.force_login(office_user)
    response = client.post(
        reverse("supervision:change_approve", args=[change.pk]), {"meeting_on": today().isoformat()}, follow=True
    )
    assert "会议纪要编号：这个字段是必填项。" in response.content.decode()
    change.refresh_from_db()
    assert change.state == ChangeState.PROPOSED


def test_the_office_records_a_visit_with_a_criticism_notice(client, tree, office_user):
    client.force_login(office_user)
    notice = {
        "organization": tree.finance_1.pk,
        "issuer": "working_committee",
        "document_number": "9号",
        "reason": "活动开展不积极",
        "target": "整改到位",
        "measures": "限期整改",
        "responsible": "张书记",
        "deadline": today() + timedelta(days=30),
    }
    data = {
        "visited_on": today().isoformat(),
        "method": "acceptance",
        "group_members": "赵部长",
        "findings": "活动开展不积极",
        "organizations": [tree.finance_1.pk, tree.finance_2.pk],
        **formset("criticisms", [notice], extra=1),
        **formset("items", [], extra=2),
        # An untouched extra row, as the browser posts it.
        "criticisms-1-issuer": "",
        "criticisms-1-organization": "",
        "items-0-organization": "",
    }

    response = client.post(reverse("supervision:visit_create"), data)

    visit = InspectionVisit.objects.get()
    assert response.status_code == 302
    assert list(visit.criticisms.values_list("organization", flat=True)) == [tree.finance_1.pk]
    assert list(visit.items.values_list("source", flat=True)) == [ItemSource.CRITICISM]
    page = client.get(reverse("supervision:visit_detail", args=[visit.pk])).content.decode()
    assert "活动开展不积极" in page and "财政局第二支部" in page


def test_the_visit_form_is_refused_to_the_secretary_and_offered_to_the_inspection_group(
    client, tree, inspector, secretary
):
    client.force_login(secretary)
    assert client.get(reverse("supervision:visit_create")).status_code == 403
    assert "登记督导" not in client.get(reverse("supervision:visit_list")).content.decode()
    client.force_login(inspector)
    assert client.get(reverse("supervision:visit_create")).status_code == 200
    assert (InspectionVisit.objects.count(), CriticismNotice.objects.count()) == (0, 0)
    response = client.post(
        reverse("supervision:visit_create"),
        {
            "organizations": [tree.finance_1.pk],
            "visited_on": today().isoformat(),
            "method": "research",
            "group_members": "督导组",
            "findings": "学习制度落实不到位",
            "criticisms-TOTAL_FORMS": "0",
            "criticisms-INITIAL_FORMS": "0",
            "items-TOTAL_FORMS": "0",
            "items-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    assert InspectionVisit.objects.get().recorded_by == inspector


def test_the_inspector_reads_the_lists_with_no_buttons_but_the_visit(client, tree, inspector, reviewer, office_user):
    services.recheck_record(
        organization=tree.finance_1, checked_on=today(), method="site", findings="问题", actor=reviewer
    )
    client.force_login(inspector)
    focus = client.get(reverse("supervision:focus_list")).content.decode()
    assert "财政局第一支部" in focus and "登记复检" not in focus
    assert "复检" in client.get(reverse("supervision:recheck_list")).content.decode()
    # the inspection group (督导组) records its visits
    assert "登记督导" in client.get(reverse("supervision:visit_list")).content.decode()


# --- the focus list ----------------------------------------------------------------------------


@pytest.fixture
def focus_world(tree, office_user, reviewer):
    """FIN-1 unrated with an overdue-free item and a re-check; FIN-2 three stars; EDU-1 one star with a guide."""
    rate(tree.finance_2, 3, approver=office_user)
    rate(tree.education_1, 3, approver=office_user, on=today() - timedelta(days=400))
    rate(tree.education_1, 1, approver=office_user, on=today() - timedelta(days=30))
    services.recheck_record(
        organization=tree.finance_1,
        checked_on=today() - timedelta(days=10),
        method="site",
        findings="问题",
        items=[item_row()],
        actor=reviewer,
    )
    services.focus_guide_assign(organization=tree.education_1, name="王主任", note="副书记", actor=office_user)
    services.level_change_propose(organization=tree.education_1, to_level=0, reason="整顿无效", actor=office_user)
    return tree


def test_the_focus_list_shows_one_star_and_unrated_organizations_with_their_facts(client, focus_world, office_user):
    tree = focus_world
    client.force_login(office_user)
    response = client.get(reverse("supervision:focus_list"))
    rows = {row["organization"].code: row for row in response.context["rows"]}
    assert sorted(rows) == ["EDU", "EDU-1", "FIN", "FIN-1"]
    fin_1 = rows["FIN-1"]["organization"]
    assert (fin_1.level, fin_1.open_items, fin_1.overdue_items, fin_1.recheck_count, fin_1.last_recheck) == (
        None,
        1,
        0,
        1,
        today() - timedelta(days=10),
    )
    assert rows["FIN-1"]["stale"] is False
    edu_1 = rows["EDU-1"]
    assert (edu_1["level_label"], edu_1["guide"].name, edu_1["pending_label"], edu_1["stale"]) == (
        "一星级",
        "王主任",
        "不定星级",
        True,
    )
    assert edu_1["history"].endswith(f"{today() - timedelta(days=30):%Y-%m-%d} 一星级")
    assert tree.finance_2.pk not in [row["organization"].pk for row in response.context["rows"]]

    filtered = client.get(reverse("supervision:focus_list"), {"level": "1"}).context["rows"]
    assert [row["organization"].code for row in filtered] == ["EDU-1"]
    searched = client.get(reverse("supervision:focus_list"), {"q": "王主任"}).context["rows"]
    assert [row["organization"].code for row in searched] == ["EDU-1"]


def test_the_focus_export_reads_back(client, focus_world, office_user):
    client.force_login(office_user)
    response = client.get(reverse("supervision:focus_export"), {"guide": "yes"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:5] == ["组织编号", "党组织", "当前星级", "指导人", "指导人说明"]
    assert rows[1][:10] == ["EDU-1", "教育局第一支部", "一星级", "王主任", "副书记", 0, 0, 0, None, "不定星级"]
    assert rows[1][10].endswith("一星级")


def test_the_focus_list_issues_the_same_queries_for_10_and_100_organizations(
    client,
    tree,
    office_user,
    reviewer,
    settings,
    monkeypatch,
):
    # The navigation's due counts are other apps' queries (tested there): left out of this count.
    settings.XINGJI_DUE_COUNT_SECONDS = 0
    monkeypatch.setattr("xingji.web.due.providers", lambda: [])

    def grow(count):
        for _ in range(count):
            organization = OrganizationFactory(parent=tree.finance)
            services.recheck_record(
                organization=organization,
                checked_on=today(),
                method="site",
                findings="问题",
                items=[item_row()],
                actor=reviewer,
            )
            services.focus_guide_assign(organization=organization, name="指导人", actor=reviewer)
            rate(organization, 1, approver=office_user)

    def measure() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as page:
            client.get(reverse("supervision:focus_list"), {"page": "1"})
        with CaptureQueriesContext(connection) as export:
            client.get(reverse("supervision:focus_export"))
        return len(page.captured_queries), len(export.captured_queries)

    client.force_login(office_user)
    grow(10)
    small = measure()
    grow(90)
    assert measure() == small


# --- what is due -------------------------------------------------------------------------------


def test_the_office_sees_pending_changes_and_stale_focus_organizations(
    focus_world, office_user, reviewer, secretary, inspector
):
    found = due.due_items(office_user, today())
    kinds = [(item.kind, item.title) for item in found]
    assert ("星级调整待工委会决定", "教育局第一支部：一星级→不定星级") in kinds
    stale = {title for kind, title in kinds if kind == "重点管理组织待复检"}
    assert stale == {"教育局第一支部：尚未复检", "财政局机关党委：尚未复检", "教育局机关党总支：尚未复检"}
    assert {item.section for item in found} == {"supervision"}
    # the reviewer sees only its own subtree's focus organizations, and decides nothing
    assert due.due_items(reviewer, today()) == []
    assert due.due_items(secretary, today()) == due.due_items(inspector, today()) == []


def test_a_recheck_older_than_the_interval_is_due_again(settings, tree, reviewer, office_user):
    rate(tree.finance_2, 3, approver=office_user)
    services.recheck_record(
        organization=tree.finance_1,
        checked_on=today() - timedelta(days=40),
        method="site",
        findings="问题",
        actor=reviewer,
    )
    assert due.due_items(reviewer, today()) == []
    settings.XINGJI_RECHECK_INTERVAL_DAYS = 30
    [item] = due.due_items(reviewer, today())
    assert (item.title, item.overdue, item.due_on) == (
        f"财政局第一支部：上次复检{today() - timedelta(days=40):%Y-%m-%d}",
        True,
        today() - timedelta(days=10),
    )
    assert item.url == reverse("supervision:recheck_create", args=[tree.finance_1.pk])


def test_what_is_due_takes_the_same_queries_whatever_the_size(tree, office_user, reviewer):
    def grow(count):
        for _ in range(count):
            organization = OrganizationFactory(parent=tree.finance)
            services.level_change_propose(organization=organization, to_level=1, reason="定级", actor=reviewer)

    grow(3)
    with CaptureQueriesContext(connection) as small:
        due.due_items(office_user, today())
    grow(30)
    with CaptureQueriesContext(connection) as large:
        found = due.due_items(office_user, today())
    assert len(found) == 33 + 33 + 5  # the changes, the new unrated branches, the tree below the root
    assert len(large.captured_queries) == len(small.captured_queries) <= 2


def test_a_visit_shows_each_reader_only_the_organizations_it_may_see(client, tree, office_user, reviewer):
    visit = services.visit_record(
        organizations=[tree.finance_1, tree.education_1],
        visited_on=today(),
        method="observation",
        group_members="督导组",
        findings="问题",
        criticisms=[{"organization": tree.education_1, "issuer": "working_committee", "reason": "教育局的问题"}],
        actor=office_user,
    )
    client.force_login(reviewer)
    listed = client.get(reverse("supervision:visit_list")).content.decode()
    assert "财政局第一支部" in listed and "教育局第一支部" not in listed
    page = client.get(reverse("supervision:visit_detail", args=[visit.pk])).content.decode()
    assert "财政局第一支部" in page and "教育局第一支部" not in page and "教育局的问题" not in page
