"""What is due (``xingji.web.due``): the framework, and the providers of ``orgs`` and ``campaigns`` by role."""

from __future__ import annotations

import sys
import types
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.campaigns.conftest import campaign, clock, edu_reviewer, edu_secretary  # noqa: F401
from tests.campaigns.steps import evaluation_of, force_state, noticed_campaign, record_survey, self_evaluate
from tests.factories import ElectionFactory, OrganizationFactory, UserFactory
from xingji.accounts.models import Role
from xingji.campaigns import due as campaigns_due
from xingji.campaigns import services
from xingji.campaigns.models import Evaluation, EvaluationState
from xingji.orgs import due as orgs_due
from xingji.orgs.models import add_years
from xingji.web import due

TODAY = date(2026, 6, 1)
MINE = ["xingji.orgs.due", "xingji.campaigns.due"]


@pytest.fixture(autouse=True)
def only_these_providers(monkeypatch):
    """The providers of this task only (the other apps' are tested by their own tests), and no cached counts."""
    monkeypatch.setattr(due, "PROVIDERS", list(MINE))
    cache.clear()
    yield
    cache.clear()


def lines(items) -> list[tuple]:
    return [(item.section, item.kind, item.title, item.url, item.due_on, item.overdue) for item in items]


def kinds(items) -> list[tuple[str, str]]:
    return [(item.kind, item.title) for item in items]


# --- the framework -----------------------------------------------------------------------


def provider(name: str, items) -> str:
    module = types.ModuleType(name)
    module.due_items = lambda user, today: list(items)
    sys.modules[name] = module
    return name


@pytest.fixture
def fake_providers(monkeypatch):
    made = []

    def make(name, items):
        made.append(provider(name, items))
        return name

    yield make
    for name in made:
        sys.modules.pop(name, None)


def test_it_skips_a_provider_module_that_does_not_exist(monkeypatch, office_user, fake_providers):
    item = due.DueItem("a", "甲", "一", "/a/")
    monkeypatch.setattr(
        due,
        "PROVIDERS",
        ["xingji.no_such_app.due", "xingji.orgs.no_due_here", fake_providers("tests_due_fake_a", [item])],
    )

    assert due.due_for(office_user, TODAY) == [item]


def test_it_raises_an_import_error_inside_a_provider(monkeypatch, office_user, tmp_path):
    (tmp_path / "tests_due_broken.py").write_text("import xingji.no_such_module\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(due, "PROVIDERS", ["tests_due_broken"])

    with pytest.raises(ModuleNotFoundError, match="xingji.no_such_module"):
        due.due_for(office_user, TODAY)


def test_it_puts_overdue_first_then_by_date_then_by_kind(monkeypatch, office_user, fake_providers):
    late = due.DueItem("a", "B 类", "逾期后", "/1/", date(2026, 5, 30), overdue=True)
    later = due.DueItem("b", "A 类", "逾期先", "/2/", date(2026, 5, 1), overdue=True)
    soon = due.DueItem("a", "B 类", "六月十日", "/3/", date(2026, 6, 10))
    same_day_kind_a = due.DueItem("b", "A 类", "六月十日", "/4/", date(2026, 6, 10))
    undated = due.DueItem("a", "A 类", "无期限", "/5/")
    monkeypatch.setattr(
        due,
        "PROVIDERS",
        [
            fake_providers("tests_due_fake_b", [undated, soon, late]),
            fake_providers("tests_due_fake_c", [same_day_kind_a, later]),
        ],
    )

    assert due.due_for(office_user, TODAY) == [later, late, same_day_kind_a, soon, undated]


def test_it_counts_per_section_and_in_all(monkeypatch, office_user, fake_providers):
    items = [
        due.DueItem("a", "甲", "一", "/1/"),
        due.DueItem("a", "甲", "二", "/2/"),
        due.DueItem("b", "乙", "三", "/3/"),
    ]
    monkeypatch.setattr(due, "PROVIDERS", [fake_providers("tests_due_fake_d", items)])

    counts = due.due_counts(office_user, TODAY)

    assert counts == {"a": 2, "b": 1}
    assert due.due_total(counts) == 3


def test_it_keeps_the_counts_in_the_cache_until_they_expire(
    monkeypatch, settings, office_user, fake_providers, django_assert_num_queries
):
    settings.XINGJI_DUE_COUNT_SECONDS = 60
    items = [due.DueItem("a", "甲", "一", "/1/")]
    monkeypatch.setattr(due, "PROVIDERS", [fake_providers("tests_due_fake_e", items)])
    assert due.due_counts(office_user, TODAY) == {"a": 1}

    items.append(due.DueItem("a", "甲", "二", "/2/"))
    with django_assert_num_queries(0):
        cached = due.due_counts(office_user, TODAY)
    cache.clear()  # what the 60 seconds do
    fresh = due.due_counts(office_user, TODAY)

    assert cached == {"a": 1}
    assert fresh == {"a": 2}


def test_it_computes_the_counts_each_time_when_they_are_not_to_be_cached(
    monkeypatch, settings, office_user, fake_providers
):
    settings.XINGJI_DUE_COUNT_SECONDS = 0
    items = [due.DueItem("a", "甲", "一", "/1/")]
    monkeypatch.setattr(due, "PROVIDERS", [fake_providers("tests_due_fake_f", items)])
    assert due.due_counts(office_user, TODAY) == {"a": 1}

    items.append(due.DueItem("a", "甲", "二", "/2/"))

    assert due.due_counts(office_user, TODAY) == {"a": 2}


def test_nothing_is_due_for_an_anonymous_or_inactive_user(office_user):
    from django.contrib.auth.models import AnonymousUser

    office_user.is_active = False

    assert due.due_for(AnonymousUser(), TODAY) == []
    assert due.due_for(office_user, TODAY) == []
    assert due.due_counts(AnonymousUser(), TODAY) == {}


# --- elections (orgs) ----------------------------------------------------------------------


@pytest.fixture
def elections(tree):
    """FIN-1 overdue by 40 days, FIN-2 due in 20 days, EDU-1 and EDU in their term; ROOT and FIN without a record."""
    return {
        "FIN-1": ElectionFactory(
            organization=tree.finance_1, last_election=add_years(TODAY, -3) - timedelta(days=40), term_years=3
        ),
        "FIN-2": ElectionFactory(
            organization=tree.finance_2, last_election=add_years(TODAY, -3) + timedelta(days=20), term_years=3
        ),
        # Four years ago on a five-year term: due in a year, not yet.
        "EDU-1": ElectionFactory(organization=tree.education_1, last_election=add_years(TODAY, -4), term_years=5),
        "EDU": ElectionFactory(organization=tree.education, last_election=add_years(TODAY, -1), term_years=3),
    }


def election_lines(tree, *, form: bool):
    view = "orgs:election" if form else "orgs:detail"
    return [
        (
            "orgs",
            "换届已逾期",
            "财政局第一支部：换届逾期 40 天",
            reverse(view, args=[tree.finance_1.pk]),
            TODAY - timedelta(days=40),
            True,
        ),
        (
            "orgs",
            "换届即将到期",
            "财政局第二支部：换届 20 天后到期",
            reverse(view, args=[tree.finance_2.pk]),
            TODAY + timedelta(days=20),
            False,
        ),
    ]


def missing_line(organization):
    return (
        "orgs",
        "未录入换届信息",
        f"{organization.name}：请录入上次换届日期和任期",
        reverse("orgs:election", args=[organization.pk]),
        None,
        False,
    )


def test_the_office_is_told_of_the_elections_due_in_its_tree_and_of_its_own_missing_record(
    office_user, tree, elections
):
    assert lines(orgs_due.due_items(office_user, TODAY)) == [*election_lines(tree, form=True), missing_line(tree.root)]


def test_the_reviewer_is_told_of_the_elections_in_its_subtree_only(reviewer, edu_reviewer, tree, elections):  # noqa: F811
    assert lines(orgs_due.due_items(reviewer, TODAY)) == [*election_lines(tree, form=True), missing_line(tree.finance)]
    assert lines(orgs_due.due_items(edu_reviewer, TODAY)) == []


def test_the_secretary_is_told_of_its_own_branch_only(secretary, edu_secretary, tree, elections):  # noqa: F811
    assert lines(orgs_due.due_items(secretary, TODAY)) == election_lines(tree, form=True)[:1]
    assert lines(orgs_due.due_items(edu_secretary, TODAY)) == []


def test_the_secretary_is_told_to_record_a_missing_election(secretary, tree):
    assert lines(orgs_due.due_items(secretary, TODAY)) == [missing_line(tree.finance_1)]


def test_the_inspector_sees_the_elections_due_as_information_with_links_to_the_organization(inspector, tree, elections):
    assert lines(orgs_due.due_items(inspector, TODAY)) == election_lines(tree, form=False)


def test_an_inactive_organization_is_not_listed(office_user, tree, elections):
    tree.finance_1.is_active = False
    tree.finance_1.save()

    assert [item.title for item in orgs_due.due_items(office_user, TODAY)] == [
        "财政局第二支部：换届 20 天后到期",
        "市直工委：请录入上次换届日期和任期",
    ]


def test_an_approved_postponement_is_still_listed_as_overdue_and_says_so(secretary, tree, elections):
    elections["FIN-1"].postponement_requested = elections["FIN-1"].postponement_approved = True
    elections["FIN-1"].save()

    assert kinds(orgs_due.due_items(secretary, TODAY)) == [
        ("换届已逾期", "财政局第一支部：换届逾期 40 天（延期已批准）")
    ]


def test_a_user_outside_the_tree_is_told_nothing(tree, elections):
    other = OrganizationFactory(name="另一工委", code="OTHER")
    stranger = UserFactory(organization=other, role=Role.COMMITTEE_OFFICE)
    ElectionFactory(organization=other, last_election=add_years(TODAY, -2), term_years=3)

    assert orgs_due.due_items(stranger, TODAY) == []


# --- campaigns -------------------------------------------------------------------------------


def evaluation_list(campaign, state, survey: str = "") -> str:  # noqa: F811
    """The evaluation list a superior's line opens: by state, and for a submitted one by the survey's state."""
    query = f"state={state}" + (f"&survey={survey}" if survey else "")
    return f"{reverse('campaigns:evaluation_list', args=[campaign.pk])}?{query}"


def given_survey_figures(evaluation):
    """The figures a valid survey writes (``record_survey`` holds a real one), set directly as a given."""
    Evaluation.objects.filter(pk=evaluation.pk).update(
        survey_member_count=10, survey_participant_count=9, survey_satisfaction=Decimal("0.9")
    )
    evaluation.refresh_from_db()
    return evaluation


def survey_line(campaign, evaluation, *, overdue: bool = False) -> tuple:  # noqa: F811
    return (
        "campaigns",
        "党员群众测评待完成",
        f"{campaign.name}：{evaluation.organization.name}尚未完成党员群众测评（参加党员须达到规定比例），完成后上级方可考评",
        reverse("surveys:evaluation", args=[evaluation.pk]),
        campaign.deadline,
        overdue,
    )


def test_the_secretary_is_told_to_submit_its_self_evaluation_and_hold_the_survey_by_the_deadline(secretary, campaign):  # noqa: F811
    evaluation = evaluation_of(campaign, secretary.organization)
    before = date(2025, 6, 1)

    assert lines(campaigns_due.due_items(secretary, before)) == [
        (
            "campaigns",
            "自评待提交",
            f"{campaign.name}：财政局第一支部自评待填写提交",
            reverse("campaigns:self_evaluation", args=[evaluation.pk]),
            date(2025, 6, 5),
            False,
        ),
        survey_line(campaign, evaluation),
    ]
    assert [item.overdue for item in campaigns_due.due_items(secretary, date(2025, 6, 5))] == [False, False]
    assert [item.overdue for item in campaigns_due.due_items(secretary, date(2025, 6, 6))] == [True, True]


def test_the_secretary_is_told_to_hold_the_survey_after_submitting_until_a_valid_one_is_closed(
    secretary, campaign, clock
):  # noqa: F811
    evaluation = self_evaluate(evaluation_of(campaign, secretary.organization), secretary)
    assert lines(campaigns_due.due_items(secretary, TODAY)) == [survey_line(campaign, evaluation, overdue=True)]

    record_survey(evaluation, secretary, participants=15)  # 75 %: closed invalid, no figures
    assert lines(campaigns_due.due_items(secretary, TODAY)) == [survey_line(campaign, evaluation, overdue=True)]

    record_survey(evaluation, secretary)

    assert campaigns_due.due_items(secretary, TODAY) == []


def test_a_survey_held_before_submitting_leaves_only_the_self_evaluation_due(secretary, campaign):  # noqa: F811
    record_survey(evaluation_of(campaign, secretary.organization), secretary)

    assert [item.kind for item in campaigns_due.due_items(secretary, date(2025, 6, 1))] == ["自评待提交"]


def test_a_submitted_self_evaluation_is_no_longer_due_and_a_returned_one_is_again(secretary, reviewer, campaign, clock):  # noqa: F811
    evaluation = record_survey(evaluation_of(campaign, secretary.organization), secretary)
    evaluation = self_evaluate(evaluation, secretary)
    assert campaigns_due.due_items(secretary, TODAY) == []

    services.self_evaluation_return(evaluation=evaluation, reason="第3项缺少材料", actor=reviewer)

    assert kinds(campaigns_due.due_items(secretary, TODAY)) == [
        ("自评被退回", f"{campaign.name}：财政局第一支部自评被上级退回，请修改后重新提交")
    ]


def test_nothing_is_due_in_a_campaign_not_yet_opened(secretary, office_user, tree):
    services.campaign_create(root=tree.root, year=2025, kind="mid_year", actor=office_user)

    assert campaigns_due.due_items(secretary, TODAY) == []


def test_the_reviewer_gets_its_own_self_evaluation_and_one_line_for_the_submitted_ones_below(
    reviewer, secretary, edu_secretary, tree, campaign, clock
):  # noqa: F811
    self_evaluate(given_survey_figures(evaluation_of(campaign, secretary.organization)), secretary)
    second = UserFactory(organization=tree.finance_2, role=Role.BRANCH_SECRETARY)
    self_evaluate(given_survey_figures(evaluation_of(campaign, second.organization)), second)
    self_evaluate(given_survey_figures(evaluation_of(campaign, edu_secretary.organization)), edu_secretary)
    own = evaluation_of(campaign, reviewer.organization)

    items = campaigns_due.due_items(reviewer, TODAY)

    assert lines(items) == [
        (
            "campaigns",
            "自评待提交",
            f"{campaign.name}：财政局机关党委自评待填写提交",
            reverse("campaigns:self_evaluation", args=[own.pk]),
            date(2025, 6, 5),
            True,
        ),
        survey_line(campaign, own, overdue=True),
        (
            "campaigns",
            "待上级考评",
            f"{campaign.name}：2 个组织自评已提交，待上级考评",
            evaluation_list(campaign, "self_submitted", "done"),
            None,
            False,
        ),
    ]


def test_the_reviewer_is_told_apart_which_submitted_self_evaluations_still_wait_for_their_survey(
    reviewer, secretary, tree, campaign, clock
):  # noqa: F811
    record_survey(self_evaluate(evaluation_of(campaign, secretary.organization), secretary), secretary)
    second = UserFactory(organization=tree.finance_2, role=Role.BRANCH_SECRETARY)
    self_evaluate(evaluation_of(campaign, second.organization), second)
    record_survey(evaluation_of(campaign, reviewer.organization), reviewer)

    items = campaigns_due.due_items(reviewer, TODAY)

    assert [line for line in lines(items) if line[1] != "自评待提交"] == [
        (
            "campaigns",
            "待上级考评",
            f"{campaign.name}：1 个组织自评已提交，待上级考评",
            evaluation_list(campaign, "self_submitted", "done"),
            None,
            False,
        ),
        (
            "campaigns",
            "待完成测评",
            f"{campaign.name}：1 个组织自评已提交，尚待完成党员群众测评",
            evaluation_list(campaign, "self_submitted", "missing"),
            None,
            False,
        ),
    ]
    assert due.count_by_section(due.due_for(reviewer, TODAY))["campaigns"] == 3


def test_the_reviewer_does_not_count_its_own_submitted_self_evaluation(reviewer, campaign, clock):  # noqa: F811
    self_evaluate(given_survey_figures(evaluation_of(campaign, reviewer.organization)), reviewer)

    assert campaigns_due.due_items(reviewer, TODAY) == []


def test_the_office_counts_every_evaluation_below_it_and_the_re_evaluations(
    office_user, secretary, edu_secretary, tree, campaign, clock
):  # noqa: F811
    self_evaluate(given_survey_figures(evaluation_of(campaign, secretary.organization)), secretary)
    self_evaluate(given_survey_figures(evaluation_of(campaign, edu_secretary.organization)), edu_secretary)
    self_evaluate(
        evaluation_of(campaign, tree.finance_2), UserFactory(organization=tree.finance_2, role=Role.BRANCH_SECRETARY)
    )
    force_state(given_survey_figures(evaluation_of(campaign, tree.finance)), EvaluationState.REEVALUATION)

    assert kinds(campaigns_due.due_items(office_user, TODAY)) == [
        ("待上级考评", f"{campaign.name}：2 个组织自评已提交，待上级考评"),
        ("待完成测评", f"{campaign.name}：1 个组织自评已提交，尚待完成党员群众测评"),
        ("退回重新考评", f"{campaign.name}：1 个组织退回上级重新考评"),
    ]


def test_five_star_reviews_are_due_for_the_office_only(office_user, reviewer, inspector, tree, campaign):  # noqa: F811
    for organization in (tree.finance_1, tree.finance_2):
        force_state(evaluation_of(campaign, organization), EvaluationState.REVIEW_PENDING)

    assert lines(campaigns_due.due_items(office_user, TODAY)) == [
        (
            "campaigns",
            "五星级待审核",
            f"{campaign.name}：2 个五星级建议待审核",
            evaluation_list(campaign, "review_pending"),
            None,
            False,
        )
    ]
    assert [item.kind for item in campaigns_due.due_items(reviewer, TODAY)] == ["自评待提交", "党员群众测评待完成"]
    assert campaigns_due.due_items(inspector, TODAY) == []


def test_the_office_is_told_of_objections_and_of_notices_ending_or_ended(
    office_user, reviewer, tree, campaign, clock, django_capture_on_commit_callbacks
):  # noqa: F811
    notice = noticed_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    services.objection_file(notice=notice, evaluation=evaluation_of(campaign, tree.finance_1), content="材料不实")
    services.objection_file(notice=notice, evaluation=evaluation_of(campaign, tree.finance_2), content="不符合")
    ends = clock.today + timedelta(days=6)
    objections = (
        "campaigns",
        "异议待答复",
        f"{campaign.name}：2 件异议待答复",
        reverse("campaigns:objections", args=[campaign.pk]),
        ends,
        False,
    )
    detail = reverse("campaigns:detail", args=[campaign.pk])

    assert lines(campaigns_due.due_items(office_user, ends - timedelta(days=4))) == [objections]
    assert lines(campaigns_due.due_items(office_user, ends - timedelta(days=3))) == [
        objections,
        ("campaigns", "公示即将结束", f"{campaign.name}：“评定结果公示”{ends:%Y-%m-%d} 截止", detail, ends, False),
    ]
    assert lines(campaigns_due.due_items(office_user, ends + timedelta(days=1))) == [
        objections[:-1] + (True,),
        (
            "campaigns",
            "公示期满待结束",
            f"{campaign.name}：“评定结果公示”已于 {ends:%Y-%m-%d} 期满，请结束公示",
            detail,
            ends,
            True,
        ),
    ]
    assert campaigns_due.due_items(reviewer, ends + timedelta(days=1)) == []


def test_a_closed_notice_is_no_longer_due(
    office_user,
    tree,
    campaign,
    clock,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    notice = noticed_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    clock.advance(7)
    services.notice_close(notice=notice, actor=office_user)

    assert campaigns_due.due_items(office_user, clock.today) == []


def test_the_office_of_another_tree_sees_nothing_of_this_campaign(tree, campaign):  # noqa: F811
    for organization in (tree.finance_1, tree.education_1):
        force_state(evaluation_of(campaign, organization), EvaluationState.REVIEW_PENDING)
    other = OrganizationFactory(name="另一工委", code="OTHER")
    stranger = UserFactory(organization=other, role=Role.COMMITTEE_OFFICE)

    assert campaigns_due.due_items(stranger, TODAY) == []


def test_the_inspector_has_nothing_to_do_in_a_campaign(inspector, tree, campaign):  # noqa: F811
    force_state(evaluation_of(campaign, tree.finance_1), EvaluationState.SELF_SUBMITTED)

    assert campaigns_due.due_items(inspector, TODAY) == []


def test_a_superuser_gets_the_superior_and_office_lines(superuser, tree, campaign):  # noqa: F811
    force_state(given_survey_figures(evaluation_of(campaign, tree.finance_1)), EvaluationState.SELF_SUBMITTED)
    force_state(evaluation_of(campaign, tree.finance_2), EvaluationState.SELF_SUBMITTED)
    force_state(evaluation_of(campaign, tree.education_1), EvaluationState.REVIEW_PENDING)

    assert [item.kind for item in campaigns_due.due_items(superuser, TODAY)] == [
        "待上级考评",
        "待完成测评",
        "五星级待审核",
    ]
