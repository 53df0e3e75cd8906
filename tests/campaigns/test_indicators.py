"""The branch-work indicators computed from real records, merged into the rating, and scoring a criterion.

The branch FIN-1 of the shared tree gets meetings, an appraisal and dues in
2025; the campaigns' deadlines lie after 2025, so every 2025 period is closed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.campaigns.steps import YEAR, evaluation_of, force_evaluated, record_survey, run_rating
from tests.factories import MemberFactory, OrganizationFactory
from xingji.audit.models import AuditEntry
from xingji.branchwork.indicators import branch_indicators
from xingji.branchwork.models import Appraisal, AppraisalGrade, Grade, Meeting, MeetingKind
from xingji.campaigns import scoring, services
from xingji.campaigns.models import CriterionScore, ScorePart
from xingji.dues.indicators import dues_indicators
from xingji.dues.models import DuesAccount, DuesPayment
from xingji.orgs.models import Organization

DAY_AFTER_THE_YEAR = date(YEAR + 1, 1, 15)


def meeting(organization: Organization, kind: str, held_on: date) -> Meeting:
    return Meeting.objects.create(
        organization=organization, kind=kind, held_on=held_on, place="会议室", host="书记", topic="学习"
    )


def mid_year_branch(tree) -> Organization:
    """Founded 15 July 2025: it owes the months from August (3 monthly kinds × 5) and the fourth quarter
    (2 quarterly kinds), not the year's meetings: 17 periods. It holds 11 of them."""
    branch = OrganizationFactory(name="新建支部", code="NEW-1", parent=tree.finance, founded=date(YEAR, 7, 15))
    for month in range(8, 13):
        meeting(branch, MeetingKind.COMMITTEE, date(YEAR, month, 10))
    for month in range(8, 12):
        meeting(branch, MeetingKind.THEME_DAY, date(YEAR, month, 20))
    meeting(branch, MeetingKind.PARTY_CONGRESS, date(YEAR, 10, 8))
    meeting(branch, MeetingKind.PARTY_LECTURE, date(YEAR, 11, 8))
    # A meeting before its founding, and one of another year, owe and count nothing
    meeting(branch, MeetingKind.COMMITTEE, date(YEAR, 7, 1))
    meeting(branch, MeetingKind.GROUP_MEETING, date(YEAR + 1, 1, 5))
    return Organization.objects.get(pk=branch.pk)


def dues_given(branch: Organization) -> None:
    """Two members with accounts: 12 + 6 months due in 2025, 10 + 6 paid on time; a third without an account."""
    first = MemberFactory(organization=branch)
    second = MemberFactory(organization=branch)
    MemberFactory(organization=branch)
    DuesAccount.objects.create(member=first, base=Decimal(3000), since=date(2024, 3, 1))
    DuesAccount.objects.create(member=second, base=Decimal(3000), since=date(YEAR, 7, 1))
    for month in range(1, 11):
        DuesPayment.objects.create(
            member=first, month=date(YEAR, month, 1), amount=Decimal(15), paid_on=date(YEAR, month, 28)
        )
    # November paid in December: late; December unpaid
    DuesPayment.objects.create(member=first, month=date(YEAR, 11, 1), amount=Decimal(15), paid_on=date(YEAR, 12, 1))
    # Last year's months are not this year's
    DuesPayment.objects.create(member=first, month=date(YEAR - 1, 12, 1), amount=Decimal(15), paid_on=date(YEAR, 1, 2))
    for month in range(7, 13):
        DuesPayment.objects.create(
            member=second, month=date(YEAR, month, 1), amount=Decimal(15), paid_on=date(YEAR, month, 1)
        )


def appraisal_given(branch: Organization, graded: int) -> None:
    appraisal = Appraisal.objects.create(organization=branch, year=YEAR)
    for member in list(branch.members.order_by("pk"))[:graded]:
        AppraisalGrade.objects.create(appraisal=appraisal, member=member, grade=Grade.EXCELLENT)


# --------------------------------------------------------------------------- the indicators


def test_meetings_compliance_counts_the_periods_held_over_those_owed_since_the_founding(tree):
    branch = mid_year_branch(tree)

    found = branch_indicators([branch], year=YEAR, today=DAY_AFTER_THE_YEAR)[branch.pk]

    assert (found.meetings_held, found.meetings_owed) == (11, 17)
    assert found.meetings_compliance == Decimal("0.6470")  # 0.64705… rounded down


def test_meetings_compliance_counts_an_open_period_once_its_meeting_is_held(tree):
    branch = mid_year_branch(tree)

    # On 31 December (a year-end deadline) December and the fourth quarter are still open: August to
    # November count (3 kinds × 4, 8 held), and of the open periods those held (December's committee,
    # the quarter's congress and lecture); December's theme day and group meeting may still be held
    found = branch_indicators([branch], year=YEAR, today=date(YEAR, 12, 31))[branch.pk]

    assert (found.meetings_held, found.meetings_owed) == (11, 15)
    assert found.meetings_compliance == Decimal("0.7333")


def test_an_indicator_is_none_where_it_does_not_apply(tree):
    # A branch founded after the year owes nothing; a committee holds no branch meetings; nobody on the roll
    later = OrganizationFactory(code="LATE", parent=tree.finance, founded=date(YEAR + 1, 1, 1))

    found = branch_indicators([tree.finance, later], year=YEAR, today=DAY_AFTER_THE_YEAR)
    dues = dues_indicators([tree.finance, later], year=YEAR, today=DAY_AFTER_THE_YEAR)

    assert found[tree.finance.pk].meetings_compliance is None
    assert found[tree.finance.pk].appraisal_coverage is None
    assert found[later.pk].meetings_compliance is None
    assert found[later.pk].appraisal_coverage is None  # no roll
    assert dues[tree.finance.pk].paid_on_time is None
    assert dues[later.pk].paid_on_time is None  # no member owes anything


def test_a_branch_without_any_meeting_has_zero_compliance_not_none(tree):
    found = branch_indicators([tree.finance_1], year=YEAR, today=DAY_AFTER_THE_YEAR)[tree.finance_1.pk]

    assert (found.meetings_held, found.meetings_owed, found.meetings_compliance) == (0, 46, Decimal(0))


def test_appraisal_coverage_is_the_roll_graded(tree):
    for _ in range(3):
        MemberFactory(organization=tree.finance_1)
    appraisal_given(tree.finance_1, graded=2)
    MemberFactory(organization=tree.finance_2)  # FIN-2 has a roll and no appraisal: 0

    found = branch_indicators([tree.finance_1, tree.finance_2], year=YEAR, today=DAY_AFTER_THE_YEAR)

    assert (found[tree.finance_1.pk].appraisal_graded, found[tree.finance_1.pk].appraisal_roll) == (2, 3)
    assert found[tree.finance_1.pk].appraisal_coverage == Decimal("0.6666")
    assert found[tree.finance_2.pk].appraisal_coverage == Decimal(0)


def test_dues_paid_on_time_counts_the_months_paid_by_the_end_of_their_month(tree):
    dues_given(tree.finance_1)

    found = dues_indicators([tree.finance_1], year=YEAR, today=DAY_AFTER_THE_YEAR)[tree.finance_1.pk]

    assert (found.months_on_time, found.months_due) == (16, 18)
    assert found.paid_on_time == Decimal("0.8888")


def test_dues_months_due_stop_at_the_month_before_today(tree):
    dues_given(tree.finance_1)

    # On 20 July, January to June are due: the first member's six, all on time; the second owes none yet
    found = dues_indicators([tree.finance_1], year=YEAR, today=date(YEAR, 7, 20))[tree.finance_1.pk]

    assert (found.months_on_time, found.months_due, found.paid_on_time) == (6, 6, Decimal(1))


def test_the_indicators_of_many_organizations_take_a_fixed_number_of_queries(tree, django_assert_num_queries):
    organizations = list(Organization.objects.order_by("path"))
    for _ in range(8):
        organizations.append(OrganizationFactory(parent=tree.education))

    with django_assert_num_queries(4):
        branch_indicators(organizations, year=YEAR, today=DAY_AFTER_THE_YEAR)
    with django_assert_num_queries(2):
        dues_indicators(organizations, year=YEAR, today=DAY_AFTER_THE_YEAR)


# --------------------------------------------------------------------------- the rating


@pytest.fixture
def wuxing(tree, office_user):
    created = services.campaign_create(
        root=tree.root, year=YEAR, kind="year_end", scheme="wuxing-chuangping", quota_mode="off", actor=office_user
    )
    return services.campaign_open(campaign=created, actor=office_user)


def full_scores(campaign, organization, value) -> dict[str, dict]:
    """``value`` for every criterion (at most its maximum)."""
    return {
        criterion.code: {"score": min(Decimal(str(value)), Decimal(criterion.max_cents) / 100), "comment": "说明"}
        for criterion in campaign.scheme.criteria_for(organization.category)
    }


def test_the_facts_carry_the_known_indicators_and_leave_out_the_unknown(tree, campaign):
    for _ in range(2):
        MemberFactory(organization=tree.finance_1)
    appraisal_given(tree.finance_1, graded=1)

    one = scoring.organization_facts(campaign, tree.finance_1)
    many = scoring.facts_by_code(campaign, Organization.objects.order_by("path"))

    assert one["meetings"] == {"compliance": "0.0000"}
    assert one["appraisal"] == {"coverage": "0.5000"}
    assert "dues" not in one
    assert many["FIN-1"] == one
    assert not {"meetings", "appraisal", "dues"} & set(many["FIN"])


def test_a_superior_evaluation_stores_the_score_computed_from_the_indicator(
    tree, wuxing, secretary, reviewer, office_user, django_capture_on_commit_callbacks
):
    # Given FIN-1, founded mid-year, held 11 of the 15 meetings it owed by the deadline, 31 December
    # (73.33 %: the 60 % step, 6 points of 15)
    for kind, held_on in (
        (MeetingKind.COMMITTEE, date(YEAR, 8, 10)),
        (MeetingKind.COMMITTEE, date(YEAR, 9, 10)),
    ):
        meeting(tree.finance_1, kind, held_on)
    Organization.objects.filter(pk=tree.finance_1.pk).update(founded=date(YEAR, 7, 15))
    for month in range(10, 13):
        meeting(tree.finance_1, MeetingKind.COMMITTEE, date(YEAR, month, 10))
    for month in range(8, 12):
        meeting(tree.finance_1, MeetingKind.THEME_DAY, date(YEAR, month, 20))
    meeting(tree.finance_1, MeetingKind.PARTY_CONGRESS, date(YEAR, 10, 8))
    meeting(tree.finance_1, MeetingKind.PARTY_LECTURE, date(YEAR, 11, 8))
    branch = Organization.objects.get(pk=tree.finance_1.pk)
    evaluation = evaluation_of(wuxing, branch)

    # When the branch saves its self-evaluation with 15 typed for criterion 3
    services.self_evaluation_save_draft(
        evaluation=evaluation, scores=full_scores(wuxing, branch, 15), claimed_level=4, actor=secretary
    )
    services.self_evaluation_submit(evaluation=evaluation, actor=secretary)
    record_survey(evaluation, secretary)
    # and the superior types 15 for it too (and a nonsense value would be ignored as well)
    typed = full_scores(wuxing, branch, 10)
    typed["3"] = {"score": "不是数字", "comment": "按台账"}
    evaluated = services.superior_evaluate(evaluation=evaluation, scores=typed, comment="同意", actor=reviewer)

    # Then both stored scores of criterion 3 are the indicator's 6, with the comment kept
    stored = {
        (row.part, row.criterion_code): (row.score, row.comment)
        for row in CriterionScore.objects.filter(evaluation=evaluation, criterion_code="3")
    }
    assert stored == {
        (ScorePart.SELF, "3"): (Decimal("6.00"), "说明"),
        (ScorePart.SUPERIOR, "3"): (Decimal("6.00"), "按台账"),
    }
    # and the engine's base score is the sum of the stored superior scores
    superior_total = sum(
        CriterionScore.objects.filter(evaluation=evaluation, part=ScorePart.SUPERIOR).values_list("score", flat=True)
    )
    criteria_count = len(wuxing.scheme.criteria_for(branch.category))
    assert superior_total == Decimal(10 * (criteria_count - 1) + 6)
    assert evaluated.base_score == superior_total
    assert wuxing.deadline == date(YEAR, 12, 31)
    assert evaluated.facts["meetings"] == {"compliance": "0.7333"}
    assert evaluated.reasons[0]["rule"] == "criteria.3"
    assert evaluated.explanation[1] == (
        "组织生活落实率73.33%，组织生活规范严格一项得6分（满分15分）（评分细则（组织生活））"
    )
    audit = AuditEntry.objects.filter(action="evaluation.superior_evaluated").latest("sequence")
    assert audit.after["scores"]["3"] == ["6.00", "按台账"]

    # And the campaign-wide rating, which reads the stored input again, computes the same base score
    for other in wuxing.evaluations.exclude(pk=evaluation.pk):
        force_evaluated(other, score=8)
    run_rating(wuxing, office_user, django_capture_on_commit_callbacks)
    assert evaluation_of(wuxing, branch).base_score == superior_total


def test_without_the_indicator_the_typed_score_stands(tree, wuxing):
    # Given a committee (no branch meetings of its own): FIN's compliance is unknown
    facts = scoring.organization_facts(wuxing, tree.finance)
    computed = scoring.computed_scores(wuxing.scheme, tree.finance.category, facts)

    entries = scoring.clean_scores(
        wuxing.scheme, tree.finance.category, full_scores(wuxing, tree.finance, 12), complete=True, computed=computed
    )

    assert "meetings" not in facts
    assert computed == {}
    assert entries["3"].score == Decimal("12.00")


def test_the_default_scheme_only_shows_the_indicators(tree, campaign, secretary):
    # anyang-2017 shows indicators beside criteria 2 and 4 but scores none of them from one
    evaluation = evaluation_of(campaign, tree.finance_1)

    shown = scoring.criterion_indicators(campaign, tree.finance_1)
    services.self_evaluation_save_draft(
        evaluation=evaluation, scores={"2": {"score": "7", "comment": ""}}, actor=secretary
    )

    assert sorted(shown) == ["2", "4"]
    assert [fact.fact for fact in shown["4"].facts] == ["appraisal.coverage", "dues.paid_on_time"]
    assert shown["2"].computed is None and shown["2"].rule == ""
    assert CriterionScore.objects.get(evaluation=evaluation, part=ScorePart.SELF, criterion_code="2").score == 7
