"""No stale status after a later decision: the current level from the star ledger, and plaques and sites
falling due for withdrawal (待撤销) after each downgrade path.

The ``approved`` fixture (tests/reports/conftest.py): FIN-1 and EDU-1 five stars, the others four. Each
test gives FIN-1 and EDU-1 their plaques (2025-001, 2025-002) and FIN-1 a demonstration site, then lowers
FIN-1 one way or another.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.campaigns.steps import audit_count, evaluation_of
from tests.reports.conftest import approve
from xingji.audit.models import AuditEntry
from xingji.campaigns import selectors as campaign_selectors
from xingji.campaigns import services as campaign_services
from xingji.campaigns.models import MunicipalResult, StarLedgerEntry
from xingji.common.errors import ActionForbidden, TransitionRefused
from xingji.reports import due, selectors, services
from xingji.reports.models import DemonstrationSite, Plaque
from xingji.supervision import services as supervision_services

YEAR = 2025


@pytest.fixture
def given(tree, approved, office_user):
    """The plaques of FIN-1 and EDU-1, FIN-1's demonstration site."""
    services.plaques_issue(year=YEAR, actor=office_user)
    site = services.demonstration_site_choose(
        organization=tree.finance_1, year=YEAR, reason="基础扎实", actor=office_user
    )
    return {"site": site}


def _plaque(organization) -> Plaque:
    return Plaque.objects.get(organization=organization, year=YEAR)


def _site(organization) -> DemonstrationSite:
    return DemonstrationSite.objects.get(organization=organization, year=YEAR)


def _municipal_cut(approved, tree, clock, office_user, level=4) -> StarLedgerEntry:
    reviews = campaign_services.municipal_review_send(campaign=approved, sent_on=clock.today, actor=office_user)
    review = next(review for review in reviews if review.evaluation.organization_id == tree.finance_1.pk)
    campaign_services.municipal_review_return(
        review=review,
        returned_on=clock.today,
        result=MunicipalResult.NOT_CONFIRMED,
        result_level=level,
        note="群众满意度偏低",
        actor=office_user,
    )
    return campaign_selectors.current_ledger_entry(tree.finance_1)


def _level_change(organization, to_level, office_user, reason="复检不达标"):
    change = supervision_services.level_change_propose(
        organization=organization, to_level=to_level, reason=reason, actor=office_user
    )
    return supervision_services.level_change_approve(
        change=change, meeting_on=timezone.localdate(), minutes_number="工委会纪要〔2026〕12号", actor=office_user
    )


# --- the downgrade paths --------------------------------------------------------------------------------------


def test_a_municipal_re_review_below_five_stars_puts_the_plaque_and_the_site_due(
    tree, approved, given, clock, office_user
):
    entry = _municipal_cut(approved, tree, clock, office_user)

    plaque, site = _plaque(tree.finance_1), _site(tree.finance_1)
    assert (plaque.status, site.status) == ("待撤销", "待撤销")
    assert (plaque.withdrawal_entry, site.withdrawal_entry) == (entry, entry)
    assert plaque.withdrawal_due_since == clock.today
    assert plaque.withdrawal_reason.startswith(
        f"{clock.today:%Y年%m月%d日}起为四星级：2025年度申报创星：市委组织部复审未通过"
    )
    # EDU-1, confirmed or not sent, keeps its plaque
    assert _plaque(tree.education_1).status == "有效"
    assert [entry.action for entry in AuditEntry.objects.filter(action__contains="withdrawal")] == [
        "plaque.withdrawal_due",
        "demonstration_site.withdrawal_due",
    ]


def test_an_approved_downgrade_after_a_re_check_puts_the_plaque_due(client, tree, approved, given, office_user):
    change = _level_change(tree.finance_1, 3, office_user)
    plaque = _plaque(tree.finance_1)
    assert plaque.status == "待撤销"
    assert plaque.withdrawal_entry == campaign_selectors.current_ledger_entry(tree.finance_1) == change.ledger_entry
    assert "由五星级调整为三星级" in plaque.withdrawal_reason
    assert _site(tree.finance_1).status == "待撤销"
    # the change's page shows the ledger line with what it put due
    client.force_login(office_user)
    page = client.get(reverse("supervision:change_detail", args=[change.pk])).content.decode()
    assert "已通知撤销五星级牌匾（2025-001）" in page and "已通知撤销示范点（2025年度）" in page


def test_a_year_end_re_rating_below_five_stars_puts_the_plaque_due(
    tree, approved, given, clock, office_user, django_capture_on_commit_callbacks
):
    # given the year-end re-check approves FIN-1 at four (only EDU-1 keeps five)
    year_end = campaign_services.campaign_create(root=tree.root, year=YEAR, kind="year_end", actor=office_user)
    year_end = campaign_services.campaign_open(campaign=year_end, actor=office_user)
    approve(year_end, clock, office_user, django_capture_on_commit_callbacks, scores={"EDU-1": "9.3"}, minutes="9号")
    assert (_plaque(tree.finance_1).status, _plaque(tree.education_1).status) == ("待撤销", "有效")
    assert _site(tree.finance_1).status == "待撤销"


def test_a_level_still_at_five_stars_or_an_organization_without_a_plaque_puts_nothing_due(
    tree, approved, given, office_user
):
    before = audit_count()
    _level_change(tree.finance_2, 3, office_user)  # four stars, no plaque
    assert Plaque.objects.filter(withdrawal_due_since__isnull=False).count() == 0
    assert not AuditEntry.objects.filter(action__contains="withdrawal", sequence__gt=before).exists()


def test_a_later_decision_restoring_the_level_lifts_the_due(tree, approved, given, office_user):
    _level_change(tree.finance_1, 4, office_user)
    _level_change(tree.finance_1, 5, office_user, reason="整改到位，恢复五星级")
    plaque, site = _plaque(tree.finance_1), _site(tree.finance_1)
    assert (plaque.status, plaque.withdrawal_reason, plaque.withdrawal_entry) == ("有效", "", None)
    assert site.status == "有效"
    assert AuditEntry.objects.filter(action="plaque.withdrawal_lifted").count() == 1


def test_only_the_office_checks_withdrawals(tree, approved, given, reviewer):
    with pytest.raises(ActionForbidden):
        services.withdrawals_check(organizations=[tree.finance_1.pk], actor=reviewer)


# --- the office's to-do and its actions -------------------------------------------------------------------------


def test_the_office_sees_each_due_as_a_to_do_until_it_acts(tree, approved, given, clock, office_user, reviewer):
    _municipal_cut(approved, tree, clock, office_user)
    items = due.due_items(office_user, clock.today)
    assert [(item.section, item.kind) for item in items] == [
        ("reports", "五星级牌匾待撤销"),
        ("reports", "示范点待撤销"),
    ]
    assert items[0].title == f"财政局第一支部：授牌证书2025-001（{clock.today:%Y-%m-%d}起为四星级）"
    assert items[0].url == reverse("reports:plaque_withdraw", args=[_plaque(tree.finance_1).pk])
    assert items[1].url == reverse("reports:site_revoke", args=[given["site"].pk])
    assert due.due_items(reviewer, clock.today) == []

    # when the office withdraws the plaque and revokes the site
    before = audit_count()
    plaque = services.plaque_withdraw(plaque=_plaque(tree.finance_1), reason="复审未通过，撤牌", actor=office_user)
    services.demonstration_site_revoke(site=given["site"], reason="复审未通过", actor=office_user)

    # then nothing is due, and both say so
    assert due.due_items(office_user, clock.today) == []
    assert (plaque.status, _site(tree.finance_1).status) == ("已撤销", "已撤销")
    assert [entry.action for entry in AuditEntry.objects.filter(sequence__gt=before)] == [
        "plaque.withdrawn",
        "demonstration_site.revoked",
    ]
    assert AuditEntry.objects.get(action="plaque.withdrawn").after["was_due"] is True


def test_a_withdrawal_is_the_offices_once(tree, approved, given, office_user, reviewer):
    plaque = _plaque(tree.finance_1)
    before = audit_count()
    with pytest.raises(ActionForbidden):
        services.plaque_withdraw(plaque=plaque, reason="撤", actor=reviewer)
    with pytest.raises(TransitionRefused, match="请填写撤牌理由"):
        services.plaque_withdraw(plaque=plaque, reason=" ", actor=office_user)
    assert (_plaque(tree.finance_1).status, audit_count()) == ("有效", before)
    services.plaque_withdraw(plaque=plaque, reason="撤", actor=office_user)
    with pytest.raises(TransitionRefused, match="授牌证书2025-001已撤销"):
        services.plaque_withdraw(plaque=plaque, reason="再撤", actor=office_user)


def test_a_lowered_organization_gets_no_new_plaque_site_or_recommendation(tree, approved, clock, office_user):
    _municipal_cut(approved, tree, clock, office_user)
    # the municipal cut makes FIN-1 four-star for the year; a re-check lowers EDU-1 after its five-star year
    _level_change(tree.education_1, 4, office_user)
    assert selectors.top_results(selectors.Organization.objects.all(), YEAR, standing=True) == []
    with pytest.raises(TransitionRefused, match="2025年度没有尚未授牌的五星级党组织"):
        services.plaques_issue(year=YEAR, actor=office_user)
    with pytest.raises(TransitionRefused, match="教育局第一支部现为四星级（星级管理台账），不能确定为示范点"):
        services.demonstration_site_choose(organization=tree.education_1, year=YEAR, reason="好", actor=office_user)
    assert (Plaque.objects.count(), DemonstrationSite.objects.count()) == (0, 0)


# --- every page reads the current level ----------------------------------------------------------------------


def test_the_pages_and_the_export_read_the_current_level_after_a_re_review(
    client, tree, approved, given, clock, office_user
):
    _municipal_cut(approved, tree, clock, office_user)
    client.force_login(office_user)

    # the evaluation list: four stars now, five as this campaign's proposal
    response = client.get(reverse("campaigns:evaluation_list", args=[approved.pk]))
    rows = {row[0].organization.code: row for row in response.context["rows"]}
    assert (rows["FIN-1"][2], rows["FIN-1"][3]) == ("五星级", "四星级")
    assert (rows["EDU-1"][2], rows["EDU-1"][3]) == ("五星级", "五星级")

    # the evaluation page's tile
    response = client.get(reverse("campaigns:evaluation", args=[evaluation_of(approved, tree.finance_1).pk]))
    assert response.context["approved"] == "四星级"

    # the campaign's Excel export
    response = client.get(reverse("campaigns:export", args=[approved.pk]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    table = list(sheet.iter_rows(values_only=True))
    header = table.index(next(row for row in table if row and row[0] == "党组织"))
    by_code = {row[1]: row for row in table[header + 1 :] if row and row[1]}
    current = table[header].index("当前星级")
    assert (by_code["FIN-1"][current], by_code["EDU-1"][current]) == ("四星级", "五星级")

    # the year page: the plaque due for withdrawal, the site too
    page = client.get(reverse("reports:year", args=[YEAR])).content.decode()
    assert "待撤销" in page and reverse("reports:plaque_withdraw", args=[_plaque(tree.finance_1).pk]) in page

    # the star ledger says what the downgrade put due
    page = client.get(reverse("campaigns:ledger", args=[tree.finance_1.pk])).content.decode()
    assert "已通知撤销五星级牌匾（2025-001）" in page and "已通知撤销示范点（2025年度）" in page


def test_the_assessment_export_reads_the_current_level_from_the_ledger(tree, approved, office_user):
    StarLedgerEntry.objects.create(
        organization=tree.finance_1,
        level=3,
        level_name="三星级",
        previous_level=5,
        effective_on=date(2026, 9, 1),
        approving_body="市直工委",
        reason="复验降级",
        approver=office_user,
    )
    rows = {row[0]: row for row in selectors.assessment_rows(office_user, YEAR)}
    assert (rows["FIN-1"][2], rows["FIN-1"][8]) == ("五星级", "三星级")


def test_the_plaque_withdraw_page_completes_the_due(client, tree, approved, given, clock, office_user):
    _municipal_cut(approved, tree, clock, office_user)
    plaque = _plaque(tree.finance_1)
    client.force_login(office_user)
    url = reverse("reports:plaque_withdraw", args=[plaque.pk])
    page = client.get(url).content.decode()
    assert "待撤销：" in page and plaque.withdrawal_reason in page
    response = client.post(url, {"reason": "复审未通过，收回牌匾"})
    assert response.status_code == 302
    plaque.refresh_from_db()
    assert (plaque.status, plaque.withdraw_reason, plaque.withdrawn_by) == (
        "已撤销",
        "复审未通过，收回牌匾",
        office_user,
    )
    # a withdrawn plaque is not reprinted with the year's others
    assert [p.pk for p in Plaque.objects.filter(withdrawn_at__isnull=True)] == [_plaque(tree.education_1).pk]


def test_the_campaigns_progress_counts_the_approved_at_their_current_level(tree, approved, clock, office_user):
    assert campaign_selectors.campaign_progress(user=office_user, campaign=approved).by_approved_level == {5: 2, 4: 3}
    _municipal_cut(approved, tree, clock, office_user)
    assert campaign_selectors.campaign_progress(user=office_user, campaign=approved).by_approved_level == {5: 1, 4: 4}
