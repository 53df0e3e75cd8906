"""The campaign-wide rating run: progress, the engine's results, quotas, ties, conflicts, the stages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.campaigns.steps import (
    actions,
    audit_count,
    evaluate,
    evaluation_of,
    force_evaluated,
    rated_campaign,
    run_rating,
)
from tests.factories import OrganizationFactory
from tests.records.factories import AbsenceFactory
from xingji.audit.chain import verify_chain
from xingji.audit.models import AuditEntry
from xingji.campaigns import services, tasks
from xingji.campaigns.models import (
    Evaluation,
    EvaluationState,
    QuotaTie,
    RatingRun,
    RunPhase,
    RunState,
    TieState,
)
from xingji.common.errors import TransitionRefused
from xingji.rules import Engine, parse_organizations
from xingji.rules.explain import result_to_dict
from xingji.rules.inputs import Record

E = EvaluationState


def test_it_reports_its_progress_as_it_runs(campaign, office_user, settings):
    # given five evaluations ready, rated two at a time
    for evaluation in campaign.evaluations.all():
        force_evaluated(evaluation, score=8)
    settings.XINGJI_RATING_RUN_CHUNK_SIZE = 2
    run = services.campaign_rate(campaign=campaign, actor=office_user)  # queued: nothing runs before commit
    assert (run.state, run.percent) == (RunState.QUEUED, 0)
    seen = []

    # when the task runs
    finished = tasks.rating_run_execute(run.pk, on_progress=lambda r: seen.append((r.phase, r.done, r.total)))

    # then it went through its phases step by step, and is done
    assert seen == [
        (RunPhase.COLLECTING, 0, 10),
        (RunPhase.COLLECTING, 2, 10),
        (RunPhase.COLLECTING, 4, 10),
        (RunPhase.COLLECTING, 5, 10),
        (RunPhase.RATING, 5, 10),
        (RunPhase.SAVING, 5, 10),
        (RunPhase.SAVING, 7, 10),
        (RunPhase.SAVING, 9, 10),
        (RunPhase.SAVING, 10, 10),
        (RunPhase.FINISHED, 10, 10),
    ]
    stored = RatingRun.objects.get(pk=run.pk)
    assert (finished.state, stored.state, stored.percent, stored.error) == (RunState.DONE, RunState.DONE, 100, "")
    assert stored.started_at <= stored.finished_at
    # and running it again does nothing: it is no longer queued
    assert tasks.rating_run_execute(run.pk) is None


def test_it_gives_the_results_the_engine_gives_on_the_same_facts(
    tree, campaign, office_user, django_capture_on_commit_callbacks
):
    # given evidence records and varied scores, rated with the quotas enforced
    AbsenceFactory(organization=tree.education_1, date=date(2025, 4, 1))
    campaign.quota_mode = "enforce"
    campaign.save(update_fields=["quota_mode"])
    run = rated_campaign(
        campaign,
        office_user,
        django_capture_on_commit_callbacks,
        scores={"FIN": "9.6", "FIN-1": "9.2", "FIN-2": "7.7", "EDU": "6.1", "EDU-1": "5.5"},
    )

    # when the engine rates the facts each evaluation kept, on its own
    evaluations = list(campaign.evaluations.select_related("organization").order_by("organization__path"))
    organizations = parse_organizations([Record(e.organization.code, e.facts) for e in evaluations], campaign.scheme)
    rating = Engine(campaign.scheme, stage="mid_year").rate(organizations, quota_mode="enforce")

    # then the run stored exactly its results
    expected = {r.id: result_to_dict(r, campaign.scheme) for r in rating.results}
    stored = {e.organization.code: e for e in evaluations}
    for code, result in expected.items():
        evaluation = stored[code]
        assert (str(evaluation.final_score), evaluation.level, evaluation.band_level) == (
            result["final_score"],
            result["stars"],
            result["band_stars"],
        )
        assert (evaluation.reasons, evaluation.explanation) == (result["reasons"], result["explanation"])
        assert (evaluation.state, evaluation.rating_run_id) == (E.RATED, run.pk)
    assert run.summary["by_stars"] == {"0": 0, "1": 1, "2": 1, "3": 1, "4": 2, "5": 0}
    assert stored["EDU-1"].facts["absences"] == 1


@pytest.fixture
def eleven(tree, office_user):
    """An enforce-mode campaign over eleven organizations: six more branches under EDU."""
    extra = [OrganizationFactory(name=f"教育局第{n}支部", code=f"EDU-{n}", parent=tree.education) for n in range(2, 8)]
    created = services.campaign_create(
        root=tree.root, year=2025, kind="mid_year", quota_mode="enforce", actor=office_user
    )
    campaign = services.campaign_open(campaign=created, actor=office_user)
    return campaign, extra


def test_it_records_every_quota_move_as_a_reason_and_an_audit_entry(
    eleven, office_user, django_capture_on_commit_callbacks
):
    # given eleven organizations, three at five stars (at most one allowed) and two without a star
    campaign, _ = eleven
    scores = {"FIN": "9.9", "FIN-1": "9.6", "FIN-2": "9.3", "EDU-2": "4.5", "EDU-3": "4.5"}

    # when the rating runs
    run = rated_campaign(campaign, office_user, django_capture_on_commit_callbacks, scores=scores)

    # then the two lower five-star organizations are moved to four stars, each with the reason
    levels = dict(campaign.evaluations.values_list("organization__code", "level"))
    assert (levels["FIN"], levels["FIN-1"], levels["FIN-2"]) == (5, 4, 4)
    moved = Evaluation.objects.get(campaign=campaign, organization__code="FIN-1")
    quota_reason = moved.reasons[-1]
    assert (quota_reason["rule"], quota_reason["effect"], quota_reason["from"], quota_reason["to"]) == (
        "five_star_ceiling",
        "quota",
        5,
        4,
    )
    assert quota_reason["message"] == "五星级数量超过总数的10%（限1个），按排名由五星级调整为四星级（五(二)）"
    assert moved.explanation[-2:] == [quota_reason["message"], "评定结果：四星级"]
    # and an audit entry for each move
    entries = AuditEntry.objects.filter(action="evaluation.quota_moved").order_by("sequence")
    assert [(e.object_id, e.before, e.after["level"], e.after["rule"]) for e in entries] == [
        (str(moved.pk), {"level": 5}, 4, "five_star_ceiling"),
        (
            str(Evaluation.objects.get(campaign=campaign, organization__code="FIN-2").pk),
            {"level": 5},
            4,
            "five_star_ceiling",
        ),
    ]
    assert run.summary["quota"]["checks"][0]["moved"] == ["FIN-1", "FIN-2"]
    assert QuotaTie.objects.count() == 0


def test_it_flags_a_tie_at_the_cut_line_and_records_the_decision(
    eleven, clock, office_user, django_capture_on_commit_callbacks
):
    # given two organizations at 95 points where only one five-star is allowed, FIN with the better survey
    campaign, _ = eleven
    for evaluation in campaign.evaluations.select_related("organization"):
        code = evaluation.organization.code
        force_evaluated(
            evaluation,
            score={"FIN": "9.5", "FIN-1": "9.5", "EDU-2": "4.5", "EDU-3": "4.5"}.get(code, 8),
            satisfaction="0.95" if code == "FIN" else "0.92",
        )
    run = run_rating(campaign, office_user, django_capture_on_commit_callbacks)
    fin = Evaluation.objects.get(campaign=campaign, organization__code="FIN")
    fin_1 = Evaluation.objects.get(campaign=campaign, organization__code="FIN-1")

    # then the engine kept FIN by satisfaction and the tie is flagged for a decision
    [tie] = run.ties.all()
    assert (tie.rule, tie.final_score, tie.decided_by_key, tie.kept, tie.moved, tie.state) == (
        "five_star_ceiling",
        Decimal("95.00"),
        "satisfaction",
        [fin.pk],
        [fin_1.pk],
        TieState.OPEN,
    )
    assert (fin.level, fin_1.level) == (5, 4)

    # and the notice waits for it
    count = audit_count()
    with pytest.raises(TransitionRefused) as refusal:
        services.notice_publish(campaign=campaign, title="公示", confirmation="确认发布", actor=office_user)
    assert refusal.value.messages == ["有1处比例线并列尚未决定"]
    assert audit_count() == count

    # when the office keeps FIN-1 instead, with its reason
    services.quota_tie_decide(
        tie=tie, kept=[fin_1], reason="FIN-1获市级创新项目推广，经工委会研究保留", actor=office_user
    )

    # then the levels are swapped, each with the decision as a reason and an audit entry
    fin.refresh_from_db()
    fin_1.refresh_from_db()
    tie.refresh_from_db()
    assert (fin.level, fin_1.level) == (4, 5)
    assert fin_1.reasons[-1]["rule"] == "quota_tie_decision"
    assert "five_star_ceiling" not in [reason["rule"] for reason in fin_1.reasons]
    assert fin_1.explanation[-1] == "评定结果：五星级"
    assert fin.reasons[-1]["message"] == (
        "与其他组织最终得分同为95.00分，位于“五星级不超过10%”比例线上，经研究决定调整，由五星级调整为四星级；"
        "理由：FIN-1获市级创新项目推广，经工委会研究保留（五(二)）"
    )
    assert (tie.state, tie.decision_kept, tie.decided_by) == (TieState.DECIDED, [fin_1.pk], office_user)
    assert actions("evaluation.tie_decided") == ["evaluation.tie_decided"] * 2
    assert actions("quota_tie.") == ["quota_tie.decided"]

    # and the notice can now be published, listing the decided levels
    notice = services.notice_publish(campaign=campaign, title="公示", confirmation="确认发布", actor=office_user)
    assert notice.entries.get(evaluation=fin_1).level == 5


def test_it_refuses_a_tie_decision_that_keeps_the_wrong_number(eleven, office_user, django_capture_on_commit_callbacks):
    campaign, _ = eleven
    for evaluation in campaign.evaluations.select_related("organization"):
        code = evaluation.organization.code
        force_evaluated(
            evaluation,
            score={"FIN": "9.5", "FIN-1": "9.5", "EDU-2": "4.5", "EDU-3": "4.5"}.get(code, 8),
            satisfaction="0.95" if code == "FIN" else "0.92",
        )
    run = run_rating(campaign, office_user, django_capture_on_commit_callbacks)
    [tie] = run.ties.all()
    both = list(Evaluation.objects.filter(pk__in=tie.candidates))
    count = audit_count()

    with pytest.raises(TransitionRefused) as refusal:
        services.quota_tie_decide(tie=tie, kept=both, reason="都保留", actor=office_user)

    assert refusal.value.messages == ["应保留1个组织，不多不少"]
    tie.refresh_from_db()
    assert (tie.state, audit_count()) == (TieState.OPEN, count)


def test_it_fails_the_run_when_an_evaluation_changes_while_it_runs(tree, campaign, clock, office_user):
    # given a queued run, and a reviewer changing FIN-1 while the facts are read
    for evaluation in campaign.evaluations.all():
        force_evaluated(evaluation, score=8)
    run = services.campaign_rate(campaign=campaign, actor=office_user)
    changed = evaluation_of(campaign, tree.finance_1)

    def meanwhile(progress):
        if progress.phase == RunPhase.RATING:
            Evaluation.objects.filter(pk=changed.pk).update(version=changed.version + 1)

    # when the run saves its results
    finished = tasks.rating_run_execute(run.pk, on_progress=meanwhile)

    # then it fails, saying why, and the campaign cannot be noticed on it
    assert finished.state == RunState.FAILED
    assert finished.error == "“财政局第一支部”的评定在运行期间被修改，请重新运行全面评定"
    assert actions("rating_run.") == ["rating_run.requested", "rating_run.failed"]
    assert set(campaign.evaluations.values_list("state", flat=True)) == {E.EVALUATED}
    with pytest.raises(TransitionRefused) as refusal:
        services.notice_publish(campaign=campaign, title="公示", confirmation="确认发布", actor=office_user)
    assert refusal.value.messages == ["请先运行全面评定并等待其完成，再发布公示"]


def test_it_demotes_for_absences_at_the_year_end_only(tree, office_user, secretary, reviewer):
    # given FIN-1 with three unexcused absences this year, in a mid-year and a year-end campaign
    for month in (3, 5, 9):
        AbsenceFactory(organization=tree.finance_1, date=date(2025, month, 10))
    rated = {}
    for kind in ("mid_year", "year_end"):
        campaign = services.campaign_create(root=tree.root, year=2025, kind=kind, actor=office_user)
        services.campaign_open(campaign=campaign, actor=office_user)

        # when its reviewer gives 9.5 on every criterion (95 points, 86 after 3 × −3)
        rated[kind] = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score="9.5")

    # then mid-year it is four stars (the band), at the year-end one level lower
    mid, year_end = rated["mid_year"], rated["year_end"]
    assert (mid.final_score, mid.band_level, mid.level) == (Decimal("86.00"), 4, 4)
    assert [reason["rule"] for reason in mid.reasons] == ["absence", "absence_cap"]
    assert (year_end.final_score, year_end.band_level, year_end.level) == (Decimal("86.00"), 4, 3)
    assert [reason["rule"] for reason in year_end.reasons] == ["absence", "absence_demotion", "absence_cap"]
    assert year_end.reasons[1]["message"] == (
        "年度内无故缺席或未按时完成任务累计3次（3次及以上），年底评定降低一个星级，由四星级调整为三星级（五(三)6）"
    )


def test_it_leaves_a_newly_founded_organization_unrated_as_its_scheme_says(
    tree, office_user, django_capture_on_commit_callbacks
):
    # given an organization founded this year and a scheme under which new organizations get no star
    new = OrganizationFactory(name="新建支部", code="NEW", parent=tree.education, founded=date(2025, 3, 1))
    campaign = services.campaign_create(
        root=tree.root, year=2025, kind="mid_year", scheme="wuxing-chuangping", quota_mode="off", actor=office_user
    )
    campaign = services.campaign_open(campaign=campaign, actor=office_user)
    assert dict(campaign.evaluations.values_list("organization__code", "newly_founded"))["NEW"] is True
    assert campaign.evaluations.filter(newly_founded=True).count() == 1

    # when everyone is rated (NEW's 组织生活规范严格 is scored 0 from its meetings, none recorded: 9 elsewhere)
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks, {"NEW": 9})

    # then the new one has no star, whatever its score
    evaluation = evaluation_of(campaign, new)
    assert (evaluation.band_level, evaluation.level) == (1, 0)
    assert evaluation.reasons[-1]["rule"] == "newly_founded"
    assert campaign.notice_days == 5


def _campaign_of(tree, office_user, count: int):
    """An enforce-mode campaign over a new committee with ``count`` branches, every evaluation ready to rate."""
    committee = OrganizationFactory(name=f"第{count}机关党委", code=f"C{count}", parent=tree.root)
    branches = [
        OrganizationFactory(name=f"第{count}-{n}支部", code=f"C{count}-{n}", parent=committee) for n in range(count)
    ]
    for branch in branches[::4]:
        AbsenceFactory(organization=branch, date=date(2025, 4, 1))
    created = services.campaign_create(
        root=committee, year=2025, kind="mid_year", quota_mode="enforce", actor=office_user
    )
    campaign = services.campaign_open(campaign=created, actor=office_user)
    for n, evaluation in enumerate(campaign.evaluations.order_by("pk")):
        force_evaluated(evaluation, score=["9.5", "9.3", "8.1", "7.2", "6.4"][n % 5])
    return campaign


def _statements_of_run(campaign, office_user, settings, chunk: int) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.XINGJI_RATING_RUN_CHUNK_SIZE = chunk
    run = RatingRun.objects.create(
        campaign=campaign, state=RunState.QUEUED, phase=RunPhase.WAITING, requested_by=office_user
    )
    with CaptureQueriesContext(connection) as captured:
        finished = tasks.rating_run_execute(run.pk)
    assert finished.state == RunState.DONE
    return [query["sql"] for query in captured.captured_queries]


def test_it_reads_and_writes_each_chunk_with_the_same_number_of_statements_whatever_its_size(
    tree, office_user, settings
):
    # given campaigns of 30 and of 300 branches, with quota moves in both
    small, large = _campaign_of(tree, office_user, 30), _campaign_of(tree, office_user, 300)
    start = AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0

    # when each is rated in three chunks (of up to 11 and up to 101 evaluations)
    statements = {
        "small": _statements_of_run(small, office_user, settings, 11),
        "large": _statements_of_run(large, office_user, settings, 101),
    }

    # then both took the same number of statements: a chunk's cost in queries does not grow with it
    assert len(statements["small"]) == len(statements["large"])
    # with one UPDATE of the evaluations' results per chunk, and their audit entries in one INSERT per chunk
    for sql in statements.values():
        updates = [s for s in sql if 'UPDATE "campaigns_evaluation"' in s]
        inserts = [s for s in sql if s.startswith('INSERT INTO "audit_auditentry"')]
        assert (len(updates), len(inserts)) == (3, 3 + 1)  # and one for rating_run.finished
    # and every evaluation got its entry, the quota moves theirs, the chain intact
    written = AuditEntry.objects.filter(sequence__gt=start)
    assert written.filter(action="evaluation.rated").count() == 30 + 300
    assert written.filter(action="evaluation.quota_moved").exists()
    assert verify_chain() is None
