"""The yearly appraisal of the members (民主评议党员): grades, coverage and counts, the refusals, the
follow-up of a 不合格 grade on the rectification ledger, scoping, and the pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from tests.factories import MemberFactory, UserFactory
from xingji.accounts.models import Role
from xingji.audit.models import AuditEntry
from xingji.branchwork import selectors
from xingji.branchwork.models import Appraisal, AppraisalFollowUp, AppraisalGrade
from xingji.branchwork.services import GradeEntry, appraisal_follow_up_open, appraisal_save
from xingji.ledger.models import ItemSource, ItemState, RectificationItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def year(today):
    return today.year - 1


def grades(roll, *values):
    return [GradeEntry(member_id=member.pk, grade=value) for member, value in zip(roll, values, strict=True)]


def save(organization, year, entries, actor, conclusion="评议结论"):
    return appraisal_save(organization=organization, year=year, grades=entries, conclusion=conclusion, actor=actor)


def test_it_counts_the_grades_and_the_coverage_of_the_roll(tree, secretary, roll, year):
    appraisal = save(tree.finance_1, year, grades(roll, "excellent", "unqualified", ""), secretary)

    summary = selectors.appraisal_summary(organization=tree.finance_1, year=year)
    assert summary.appraisal == appraisal
    assert summary.coverage_text == "2/3"
    assert summary.coverage == Decimal("0.6667")
    assert summary.complete is False
    assert summary.counts == {"excellent": 1, "unqualified": 1}
    assert [count for _, _, count in summary.count_rows] == [1, 0, 0, 1]
    entry = AuditEntry.objects.get(action="appraisal.recorded")
    assert entry.after["grades"] == {str(roll[0].pk): "excellent", str(roll[1].pk): "unqualified"}


def test_it_is_complete_when_every_member_of_the_roll_is_graded(tree, secretary, roll, year):
    save(tree.finance_1, year, grades(roll, "excellent", "qualified", ""), secretary)
    save(tree.finance_1, year, grades(roll[2:], "basically_qualified"), secretary, conclusion="全部评定")

    summary = selectors.appraisal_summary(organization=tree.finance_1, year=year)
    assert summary.complete is True
    assert summary.coverage_text == "3/3"
    assert summary.coverage == Decimal(1)
    assert summary.appraisal.conclusion == "全部评定"
    assert AppraisalGrade.objects.count() == 3
    assert AuditEntry.objects.filter(action="appraisal.updated").count() == 1


def test_a_new_member_of_the_roll_makes_it_incomplete_again(tree, secretary, roll, year):
    save(tree.finance_1, year, grades(roll, "qualified", "qualified", "qualified"), secretary)
    MemberFactory(organization=tree.finance_1, name="赵敏")

    summary = selectors.appraisal_summary(organization=tree.finance_1, year=year)
    assert (summary.coverage_text, summary.complete) == ("3/4", False)


def test_an_empty_grade_removes_the_one_given(tree, secretary, roll, year):
    save(tree.finance_1, year, grades(roll, "qualified", "qualified", "qualified"), secretary)
    save(tree.finance_1, year, grades(roll[:1], ""), secretary)

    assert sorted(AppraisalGrade.objects.values_list("member_id", flat=True)) == [roll[1].pk, roll[2].pk]


def test_a_grade_for_a_member_of_another_branch_is_refused_naming_the_member(tree, secretary, roll, year):
    stranger = MemberFactory(organization=tree.finance_2, name="孙丽")

    with pytest.raises(ValidationError) as refused:
        save(
            tree.finance_1,
            year,
            [*grades(roll, "qualified", "qualified", "qualified"), GradeEntry(stranger.pk, "excellent")],
            secretary,
        )

    assert refused.value.message_dict["grades"] == [
        "党员“孙丽”属于财政局第二支部，不是财政局第一支部的党员，不能参加本支部评议"
    ]
    assert Appraisal.objects.count() == 0 and AppraisalGrade.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="appraisal.").exists()


def test_an_invalid_grade_and_a_future_year_are_refused(tree, secretary, roll, today):
    with pytest.raises(ValidationError) as refused:
        save(tree.finance_1, today.year - 1, grades(roll[:1], "perfect"), secretary)
    assert refused.value.message_dict["grades"] == ["党员“张伟”的评定等次“perfect”无效"]

    with pytest.raises(ValidationError) as refused:
        save(tree.finance_1, today.year + 1, grades(roll[:1], "qualified"), secretary)
    assert "year" in refused.value.message_dict
    assert Appraisal.objects.count() == 0


def test_the_inspector_reads_but_does_not_record_and_outside_the_subtree_is_not_found(
    tree, secretary, inspector, roll, year
):
    other_secretary = UserFactory(username="fin-2", organization=tree.finance_2, role=Role.BRANCH_SECRETARY)

    with pytest.raises(PermissionDenied):
        save(tree.finance_1, year, grades(roll, "qualified", "qualified", "qualified"), inspector)
    with pytest.raises(Http404):
        save(tree.finance_1, year, grades(roll, "qualified", "qualified", "qualified"), other_secretary)
    assert Appraisal.objects.count() == 0


def test_a_superior_records_the_appraisal(tree, reviewer, roll, year):
    save(tree.finance_1, year, grades(roll, "qualified", "qualified", "qualified"), reviewer)

    assert selectors.appraisal_summary(organization=tree.finance_1, year=year).complete is True


def test_an_unqualified_member_gets_a_follow_up_on_the_rectification_ledger(tree, secretary, roll, year, today):
    appraisal = save(tree.finance_1, year, grades(roll, "qualified", "unqualified", "qualified"), secretary)
    deadline = today + timedelta(days=90)

    follow_up = appraisal_follow_up_open(
        appraisal=appraisal, member=roll[1], kind="correct", deadline=deadline, actor=secretary
    )

    item = RectificationItem.objects.get()
    assert follow_up.item == item
    assert follow_up.grade.member == roll[1]
    assert (follow_up.kind, follow_up.deadline) == ("correct", deadline)
    assert item.organization == tree.finance_1
    assert item.problem == f"{year}年度民主评议党员：党员“王芳”评定为不合格，组织处置：限期改正"
    assert item.source == ItemSource.SELF
    assert item.source_note == f"{year}年度民主评议党员 · 王芳 · 限期改正"
    assert (item.deadline, item.state, item.created_by) == (deadline, ItemState.OPEN, secretary)
    assert item.appraisal_follow_up == follow_up
    assert AuditEntry.objects.filter(action="rectification_item.opened").count() == 1
    assert AuditEntry.objects.get(action="appraisal.follow_up_opened").after["item_id"] == item.pk


def test_a_follow_up_is_refused_for_a_member_not_unqualified_and_twice(tree, secretary, roll, year, today):
    appraisal = save(tree.finance_1, year, grades(roll, "qualified", "unqualified", "qualified"), secretary)
    deadline = today + timedelta(days=30)

    with pytest.raises(ValidationError) as refused:
        appraisal_follow_up_open(
            appraisal=appraisal, member=roll[0], kind="correct", deadline=deadline, actor=secretary
        )
    assert refused.value.message_dict["member"] == [f"党员“张伟”在{year}年度评议中未评定为不合格，无需组织处置"]

    appraisal_follow_up_open(appraisal=appraisal, member=roll[1], kind="remove", deadline=deadline, actor=secretary)
    with pytest.raises(ValidationError) as refused:
        appraisal_follow_up_open(
            appraisal=appraisal, member=roll[1], kind="correct", deadline=deadline, actor=secretary
        )
    assert refused.value.message_dict["member"] == ["党员“王芳”已作出组织处置（除名）"]
    assert RectificationItem.objects.count() == 1 and AppraisalFollowUp.objects.count() == 1


def test_a_past_deadline_writes_neither_the_follow_up_nor_the_item(tree, secretary, roll, year, today):
    appraisal = save(tree.finance_1, year, grades(roll, "qualified", "unqualified", "qualified"), secretary)

    with pytest.raises(ValidationError) as refused:
        appraisal_follow_up_open(
            appraisal=appraisal, member=roll[1], kind="correct", deadline=today - timedelta(days=1), actor=secretary
        )

    assert "deadline" in refused.value.message_dict
    assert RectificationItem.objects.count() == 0 and AppraisalFollowUp.objects.count() == 0


def test_the_grade_of_a_member_with_a_follow_up_cannot_change(tree, secretary, roll, year, today):
    appraisal = save(tree.finance_1, year, grades(roll, "qualified", "unqualified", "qualified"), secretary)
    appraisal_follow_up_open(
        appraisal=appraisal, member=roll[1], kind="persuade", deadline=today + timedelta(days=30), actor=secretary
    )

    with pytest.raises(ValidationError) as refused:
        save(tree.finance_1, year, grades(roll[1:2], "qualified"), secretary)

    assert refused.value.message_dict["grades"] == ["党员“王芳”评定为不合格，已作出组织处置（劝退），不能改变评定等次"]
    assert AppraisalGrade.objects.get(member=roll[1]).grade == "unqualified"


def test_the_inspector_may_not_open_a_follow_up(tree, secretary, inspector, roll, year, today):
    appraisal = save(tree.finance_1, year, grades(roll, "qualified", "unqualified", "qualified"), secretary)

    with pytest.raises(PermissionDenied):
        appraisal_follow_up_open(
            appraisal=appraisal, member=roll[1], kind="correct", deadline=today + timedelta(days=30), actor=inspector
        )
    assert RectificationItem.objects.count() == 0


def test_the_summaries_of_many_branches_take_three_queries(
    tree, secretary, reviewer, roll, year, django_assert_num_queries
):
    save(tree.finance_1, year, grades(roll, "excellent", "qualified", "qualified"), secretary)
    MemberFactory(organization=tree.finance_2)

    with django_assert_num_queries(3):
        summaries = selectors.appraisal_summaries([tree.finance_1, tree.finance_2], year=year)

    assert [(summary.coverage_text, summary.complete) for summary in summaries] == [("3/3", True), ("0/1", False)]


# --- pages -------------------------------------------------------------------------------------------


def test_the_secretary_grades_the_roll_on_the_page(client, tree, secretary, roll, year):
    client.force_login(secretary)
    url = reverse("branchwork:appraisal", args=[tree.finance_1.pk, year])
    page = client.get(url)
    assert page.status_code == 200
    assert [row.member.name for row, _ in page.context["form"].grade_rows()] == ["张伟", "王芳", "李强"]

    response = client.post(
        url,
        {
            f"grade_{roll[0].pk}": "excellent",
            f"grade_{roll[1].pk}": "unqualified",
            f"grade_{roll[2].pk}": "",
            "conclusion": "支部认真开展评议",
        },
    )

    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url)
    html = page.content.decode()
    assert page.context["summary"].coverage_text == "2/3"
    assert 'id="coverage">2/3<' in html
    assert f'id="follow-up-{roll[1].pk}"' in html
    assert reverse("branchwork:appraisal_follow_up", args=[tree.finance_1.pk, year, roll[1].pk]) in html


def test_the_follow_up_form_opens_the_ledger_item_and_links_it(client, tree, secretary, roll, year, today):
    save(tree.finance_1, year, grades(roll, "qualified", "unqualified", "qualified"), secretary)
    client.force_login(secretary)
    url = reverse("branchwork:appraisal_follow_up", args=[tree.finance_1.pk, year, roll[1].pk])
    deadline = today + timedelta(days=60)

    response = client.post(url, {"kind": "correct", "deadline": deadline.isoformat(), "measures": ""})

    assert response.status_code == 302
    item = RectificationItem.objects.get()
    assert item.appraisal_follow_up.grade.member == roll[1]
    page = client.get(reverse("branchwork:appraisal", args=[tree.finance_1.pk, year]))
    assert reverse("ledger:item_detail", args=[item.pk]) in page.content.decode()


def test_a_refused_follow_up_shows_a_message_and_writes_nothing(client, tree, secretary, roll, year, today):
    save(tree.finance_1, year, grades(roll, "qualified", "unqualified", "qualified"), secretary)
    client.force_login(secretary)
    url = reverse("branchwork:appraisal_follow_up", args=[tree.finance_1.pk, year, roll[1].pk])

    response = client.post(url, {"kind": "correct", "deadline": ""}, follow=True)

    assert "党员“王芳”的组织处置未保存" in response.content.decode()
    assert RectificationItem.objects.count() == 0


def test_a_grade_for_another_branch_is_shown_on_the_page(client, tree, secretary, roll, year):
    client.force_login(secretary)
    url = reverse("branchwork:appraisal", args=[tree.finance_1.pk, year])

    response = client.post(url, {f"grade_{roll[0].pk}": "perfect"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert Appraisal.objects.count() == 0


def test_the_inspector_reads_the_page_without_the_form_and_may_not_post(client, tree, secretary, inspector, roll, year):
    save(tree.finance_1, year, grades(roll, "qualified", "excellent", "qualified"), secretary)
    client.force_login(inspector)
    url = reverse("branchwork:appraisal", args=[tree.finance_1.pk, year])

    page = client.get(url)
    assert page.status_code == 200
    assert 'id="grades"' in page.content.decode() and "保存评议" not in page.content.decode()
    assert client.post(url, {f"grade_{roll[0].pk}": "excellent"}).status_code == 403


def test_another_branch_and_a_future_year_are_not_found(client, tree, secretary, today):
    client.force_login(secretary)

    assert client.get(reverse("branchwork:appraisal", args=[tree.finance_2.pk, today.year - 1])).status_code == 404
    assert client.get(reverse("branchwork:appraisal", args=[tree.finance_1.pk, today.year + 1])).status_code == 404


def test_the_overview_shows_the_coverage_of_each_branch_below(client, tree, secretary, reviewer, roll, year):
    save(tree.finance_1, year, grades(roll, "excellent", "qualified", ""), secretary)
    MemberFactory(organization=tree.finance_2)
    client.force_login(reviewer)

    page = client.get(reverse("branchwork:appraisal_overview") + f"?year={year}")

    assert page.status_code == 200
    rows = {summary.organization.name: summary.coverage_text for summary in page.context["summaries"]}
    assert rows == {"财政局第一支部": "2/3", "财政局第二支部": "0/1"}
    assert reverse("branchwork:appraisal", args=[tree.finance_1.pk, year]) in page.content.decode()


def test_the_branchwork_overview_links_the_appraisals(client, tree, reviewer):
    client.force_login(reviewer)

    page = client.get(reverse("branchwork:overview"))

    assert reverse("branchwork:appraisal_overview") in page.content.decode()
