"""The office's pages after the evaluations: rating run, ties, notice, objections, approval, ledger, re-review."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.campaigns.steps import actions, evaluation_of, force_evaluated, run_rating
from tests.factories import OrganizationFactory
from xingji.campaigns import services
from xingji.campaigns.models import (
    CampaignState,
    EvaluationState,
    MunicipalReview,
    Notice,
    NoticeState,
    ObjectionState,
    RatingRun,
    RunState,
    StarLedgerEntry,
    TieState,
)


def _evaluate_all(campaign, scores: dict | None = None, satisfaction: dict | None = None) -> None:
    for evaluation in campaign.evaluations.select_related("organization"):
        code = evaluation.organization.code
        force_evaluated(
            evaluation, score=(scores or {}).get(code, 8), satisfaction=(satisfaction or {}).get(code, "0.92")
        )


def test_it_runs_the_rating_from_the_page_and_reports_its_progress(
    client, campaign, office_user, django_capture_on_commit_callbacks
):
    _evaluate_all(campaign)
    client.force_login(office_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("campaigns:rating_start", args=[campaign.pk]))
    assert response.status_code == 302
    run = RatingRun.objects.get()
    assert run.state == RunState.DONE
    assert set(campaign.evaluations.values_list("state", flat=True)) == {EvaluationState.RATED}
    assert "rating_run.finished" in actions("rating_run.")

    page = client.get(reverse("campaigns:rating", args=[campaign.pk])).content.decode()
    assert '<progress id="run-progress" max="100" value="100">' in page
    assert "http-equiv" not in page  # finished: no refresh
    status = client.get(reverse("campaigns:rating_status", args=[campaign.pk])).json()
    assert (status["state"], status["percent"], status["active"]) == ("done", 100, False)


def test_it_polls_an_active_run(client, campaign, office_user, secretary):
    RatingRun.objects.create(campaign=campaign, requested_by=office_user, state=RunState.RUNNING, total=10, done=4)
    client.force_login(secretary)
    page = client.get(reverse("campaigns:rating", args=[campaign.pk])).content.decode()
    assert '<meta http-equiv="refresh"' in page and "fetch(" in page
    assert "运行全面评定" not in page  # only the office starts it
    status = client.get(reverse("campaigns:rating_status", args=[campaign.pk])).json()
    assert (status["percent"], status["active"], status["done"], status["total"]) == (40, True, 4, 10)


def test_it_refuses_the_rating_run_to_a_reviewer(client, campaign, reviewer):
    client.force_login(reviewer)
    assert client.post(reverse("campaigns:rating_start", args=[campaign.pk])).status_code == 403
    assert not RatingRun.objects.exists()


def test_it_shows_the_refusal_of_a_premature_run(client, campaign, office_user):
    client.force_login(office_user)
    response = client.post(reverse("campaigns:rating_start", args=[campaign.pk]), follow=True)
    assert "未完成考评" in response.content.decode()
    assert not RatingRun.objects.exists()


@pytest.fixture
def eleven(tree, office_user):
    for number in range(2, 8):
        OrganizationFactory(name=f"教育局第{number}支部", code=f"EDU-{number}", parent=tree.education)
    created = services.campaign_create(
        root=tree.root, year=2025, kind="mid_year", quota_mode="enforce", actor=office_user
    )
    return services.campaign_open(campaign=created, actor=office_user)


def test_it_decides_a_tie_at_the_cut_line(client, eleven, tree, office_user, django_capture_on_commit_callbacks):
    campaign = eleven
    _evaluate_all(campaign, {"FIN": "9.5", "FIN-1": "9.5", "EDU-2": "4.5", "EDU-3": "4.5"}, {"FIN": "0.95"})
    run = run_rating(campaign, office_user, django_capture_on_commit_callbacks)
    [tie] = run.ties.all()
    fin_1 = evaluation_of(campaign, tree.finance_1)
    client.force_login(office_user)
    page = client.get(reverse("campaigns:rating", args=[campaign.pk])).content.decode()
    assert "比例线并列" in page and f'name="tie{tie.pk}-kept"' in page
    response = client.post(
        reverse("campaigns:tie_decide", args=[campaign.pk]),
        {"tie": tie.pk, f"tie{tie.pk}-kept": [fin_1.pk], f"tie{tie.pk}-reason": "创新项目推广"},
    )
    assert response.status_code == 302
    tie.refresh_from_db()
    assert (tie.state, tie.decision_kept, tie.decision_reason) == (TieState.DECIDED, [fin_1.pk], "创新项目推广")
    assert actions("quota_tie.") == ["quota_tie.decided"]


def test_it_walks_notice_objection_approval_and_ledger(
    client, campaign, tree, office_user, reviewer, clock, django_capture_on_commit_callbacks
):
    _evaluate_all(campaign)
    run_rating(campaign, office_user, django_capture_on_commit_callbacks)
    client.force_login(reviewer)
    assert client.get(reverse("campaigns:notice_publish", args=[campaign.pk])).status_code == 403
    client.force_login(office_user)

    # notice
    assert client.get(reverse("campaigns:notice_publish", args=[campaign.pk])).status_code == 200
    url = reverse("campaigns:notice_publish", args=[campaign.pk])
    response = client.post(url, {"title": "2025年度评定结果公示"})
    preview = response.context["preview"]
    assert response.status_code == 200 and not Notice.objects.exists()
    assert len(preview.lines) == 5 and preview.warnings
    confirm = {"title": "2025年度评定结果公示", "confirm": "1", "digest": preview.digest, "confirmation": "确认发布"}
    response = client.post(url, confirm)
    assert response.status_code == 302
    notice = Notice.objects.get()
    campaign.refresh_from_db()
    assert (notice.title, campaign.state) == ("2025年度评定结果公示", CampaignState.NOTICE)

    # an objection, rejected with an answer
    fin_1 = evaluation_of(campaign, tree.finance_1)
    filed = services.objection_file(notice=notice, evaluation=fin_1, content="台账不实")
    page = client.get(reverse("campaigns:objections", args=[campaign.pk])).content.decode()
    assert "台账不实" in page
    prefix = f"o{filed.objection.pk}"
    response = client.post(
        reverse("campaigns:objection_answer", args=[campaign.pk]),
        {
            f"{prefix}-objection": filed.objection.pk,
            f"{prefix}-upheld": "0",
            f"{prefix}-answer": "经核实不成立",
        },
    )
    assert response.status_code == 302
    filed.objection.refresh_from_db()
    assert (filed.objection.state, filed.objection.answer) == (ObjectionState.REJECTED, "经核实不成立")

    # the notice closes after its last day
    response = client.post(reverse("campaigns:notice_close", args=[campaign.pk]), follow=True)
    notice.refresh_from_db()
    assert notice.state == NoticeState.PUBLISHED
    clock.advance(10)
    client.post(reverse("campaigns:notice_close", args=[campaign.pk]))
    notice.refresh_from_db()
    assert notice.state == NoticeState.CLOSED

    # approval writes the ledger
    response = client.post(
        reverse("campaigns:approve", args=[campaign.pk]),
        {"approved_on": clock.today.isoformat(), "minutes_number": "工委〔2026〕3号"},
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.APPROVED
    fin_1.refresh_from_db()
    assert fin_1.state == EvaluationState.APPROVED
    entry = StarLedgerEntry.objects.get(organization=tree.finance_1)
    assert actions("approval.") == ["approval.recorded"] and "star_ledger.recorded" in actions("star_ledger.")
    page = client.get(reverse("campaigns:ledger", args=[tree.finance_1.pk])).content.decode()
    assert entry.level_name in page and "工委〔2026〕3号" in page

    # no five-star: nothing to send, said on the form
    response = client.post(
        reverse("campaigns:municipal_send", args=[campaign.pk]), {"sent_on": clock.today.isoformat()}
    )
    assert response.status_code == 200
    assert "没有待报送复审" in response.content.decode()


def test_it_sends_and_returns_the_municipal_review(
    client, campaign, tree, office_user, clock, django_capture_on_commit_callbacks
):
    _evaluate_all(campaign, {"FIN-1": "9.8"})
    run_rating(campaign, office_user, django_capture_on_commit_callbacks)
    services.notice_publish(campaign=campaign, title="公示", confirmation="确认发布", actor=office_user)
    clock.advance(10)
    services.notice_close(notice=Notice.objects.get(), actor=office_user)
    services.campaign_approve(campaign=campaign, approved_on=clock.today, minutes_number="3号", actor=office_user)
    fin_1 = evaluation_of(campaign, tree.finance_1)
    assert fin_1.approved_level == campaign.top_level
    client.force_login(office_user)
    response = client.post(
        reverse("campaigns:municipal_send", args=[campaign.pk]), {"sent_on": clock.today.isoformat()}
    )
    assert response.status_code == 302
    review = MunicipalReview.objects.get()
    assert client.get(reverse("campaigns:municipal_return", args=[campaign.pk])).status_code == 200
    response = client.post(
        reverse("campaigns:municipal_return", args=[campaign.pk]),
        {
            "review": review.pk,
            "returned_on": clock.today.isoformat(),
            "result": "not_confirmed",
            "result_level": "4",
            "note": "材料不足",
        },
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.result, review.result_level) == ("not_confirmed", 4)
    assert StarLedgerEntry.objects.filter(organization=tree.finance_1).order_by("-id").first().level == 4


def test_an_upheld_objection_offers_to_open_a_rectification_item(
    client, campaign, tree, office_user, clock, django_capture_on_commit_callbacks
):
    _evaluate_all(campaign)
    run_rating(campaign, office_user, django_capture_on_commit_callbacks)
    notice = services.notice_publish(campaign=campaign, title="公示", confirmation="确认发布", actor=office_user)
    fin_1, fin_2 = evaluation_of(campaign, tree.finance_1), evaluation_of(campaign, tree.finance_2)
    upheld = services.objection_file(notice=notice, evaluation=fin_1, content="三会一课记录不全").objection
    rejected = services.objection_file(notice=notice, evaluation=fin_2, content="台账不实").objection
    services.objection_answer(objection=upheld, upheld=True, answer="经核实属实", actor=office_user)
    services.objection_answer(objection=rejected, upheld=False, answer="经核实不成立", actor=office_user)
    client.force_login(office_user)

    page = client.get(reverse("campaigns:objections", args=[campaign.pk])).content.decode()

    link = f"{reverse('ledger:item_create')}?organization={tree.finance_1.pk}&amp;source=objection"
    assert page.count("登记整改事项") == 1 and link in page
    form = client.get(f"{reverse('ledger:item_create')}?organization={tree.finance_1.pk}&source=objection")
    assert form.status_code == 200
    assert form.context["form"].initial["source"] == "objection"
