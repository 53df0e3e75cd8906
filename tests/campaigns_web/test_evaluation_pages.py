"""The evaluation pages: self-evaluation, survey figures, superior evaluation with preview, review, direct check."""

from __future__ import annotations

import html
import re
from datetime import date

from django.urls import reverse

from tests.campaigns.steps import (
    CODES,
    YEAR,
    actions,
    audit_count,
    evaluation_of,
    force_state,
    record_survey,
    self_evaluate,
    snapshot,
)
from tests.factories import ElectionFactory
from tests.records.factories import AbsenceFactory, CommendationFactory, CriticismNoticeFactory
from xingji.campaigns.models import CriterionScore, EvaluationState, ScorePart


def _scores(value, prefix: str = "") -> dict:
    data = {}
    for code in CODES:
        data[f"{prefix}score_{code}"] = str(value)
        data[f"{prefix}comment_{code}"] = f"说明{code}"
    return data


def test_it_shows_the_evaluation_to_anyone_who_sees_it(client, campaign, tree, inspector, secretary_2):
    evaluation = evaluation_of(campaign, tree.finance_1)
    client.force_login(inspector)
    response = client.get(reverse("campaigns:evaluation", args=[evaluation.pk]))
    assert response.status_code == 200
    assert f'href="{reverse("campaigns:self_evaluation", args=[evaluation.pk])}"' not in response.content.decode()
    client.force_login(secretary_2)
    assert client.get(reverse("campaigns:evaluation", args=[evaluation.pk])).status_code == 404


def test_it_saves_a_self_evaluation_draft_and_submits_it(client, campaign, tree, secretary):
    evaluation = evaluation_of(campaign, tree.finance_1)
    url = reverse("campaigns:self_evaluation", args=[evaluation.pk])
    client.force_login(secretary)
    assert client.get(url).status_code == 200

    response = client.post(url, {**_scores(8), "claimed_level": "3", "action": "save"})
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.state == EvaluationState.SELF_DRAFT
    assert evaluation.claimed_level == 3
    assert CriterionScore.objects.filter(evaluation=evaluation, part=ScorePart.SELF, score=8).count() == 10
    assert actions("evaluation.") == ["evaluation.self_saved"]

    response = client.post(url, {**_scores(9), "claimed_level": "4", "action": "submit"})
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.state == EvaluationState.SELF_SUBMITTED
    assert actions("evaluation.") == ["evaluation.self_saved", "evaluation.self_saved", "evaluation.self_submitted"]

    # Read-only once submitted: the inputs are disabled, a POST changes nothing.
    content = client.get(url).content.decode()
    assert "disabled" in content and "提交自评</button>" not in content
    before = snapshot(evaluation)
    client.post(url, {**_scores(1), "claimed_level": "1", "action": "save"})
    assert snapshot(evaluation) == before


def test_it_shows_the_refusal_of_an_incomplete_submission(client, campaign, tree, secretary):
    evaluation = evaluation_of(campaign, tree.finance_1)
    client.force_login(secretary)
    response = client.post(
        reverse("campaigns:self_evaluation", args=[evaluation.pk]), {"score_1": "5", "action": "submit"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    evaluation.refresh_from_db()
    assert evaluation.state == EvaluationState.SELF_DRAFT


def test_it_refuses_the_self_evaluation_to_the_superior(client, campaign, tree, reviewer, office_user):
    evaluation = evaluation_of(campaign, tree.finance_1)
    for user in (reviewer, office_user):
        client.force_login(user)
        assert client.get(reverse("campaigns:self_evaluation", args=[evaluation.pk])).status_code == 403


def test_it_lets_the_superior_return_a_self_evaluation(client, campaign, tree, secretary, reviewer):
    evaluation = self_evaluate(evaluation_of(campaign, tree.finance_1), secretary)
    client.force_login(secretary)
    assert client.post(reverse("campaigns:self_return", args=[evaluation.pk]), {"reason": "x"}).status_code == 403
    client.force_login(reviewer)
    response = client.post(reverse("campaigns:self_return", args=[evaluation.pk]), {"reason": "材料不全"})
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.return_reason) == (EvaluationState.SELF_DRAFT, "材料不全")
    assert actions("evaluation.")[-1] == "evaluation.self_returned"
    client.force_login(secretary)
    assert "材料不全" in client.get(reverse("campaigns:self_evaluation", args=[evaluation.pk])).content.decode()


def test_it_links_the_evaluation_to_its_survey_sessions(client, campaign, tree, secretary):
    # the survey figures are no longer typed in: they come from closing a survey session (tests/surveys)
    evaluation = evaluation_of(campaign, tree.finance_1)
    client.force_login(secretary)
    page = client.get(reverse("campaigns:evaluation", args=[evaluation.pk])).content.decode()
    assert reverse("surveys:evaluation", args=[evaluation.pk]) in page
    record_survey(evaluation, secretary)
    page = client.get(reverse("campaigns:evaluation", args=[evaluation.pk])).content.decode()
    assert "满意率 92.00%" in page
    assert actions("evaluation.")[-1] == "evaluation.survey_recorded"


def test_it_previews_the_superior_evaluation_without_saving(client, campaign, tree, secretary, reviewer):
    evaluation = self_evaluate(evaluation_of(campaign, tree.finance_1), secretary)
    record_survey(evaluation, secretary)
    url = reverse("campaigns:superior_evaluation", args=[evaluation.pk])
    client.force_login(reviewer)
    response = client.get(url)
    assert response.status_code == 200
    assert "预览" in response.content.decode()
    before = snapshot(evaluation)

    response = client.post(url, {**_scores(9), "comment": "好", "action": "preview"})
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview is not None and preview.final_score >= 90
    assert "预览（未保存）" in response.content.decode()
    assert snapshot(evaluation) == before
    assert not CriterionScore.objects.filter(evaluation=evaluation, part=ScorePart.SUPERIOR).exists()

    response = client.post(url, {**_scores(8), "comment": "同意", "action": "submit"})
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.state in (EvaluationState.EVALUATED, EvaluationState.REVIEW_PENDING)
    assert evaluation.final_score is not None and evaluation.superior_comment == "同意"
    assert actions("evaluation.")[-1] == "evaluation.superior_evaluated"


def test_it_shows_the_refusal_of_an_evaluation_before_the_survey(client, campaign, tree, secretary, reviewer):
    evaluation = self_evaluate(evaluation_of(campaign, tree.finance_1), secretary)
    client.force_login(reviewer)
    count = audit_count()
    response = client.post(
        reverse("campaigns:superior_evaluation", args=[evaluation.pk]), {**_scores(8), "action": "submit"}
    )
    assert response.status_code == 200
    assert "尚未录入党员群众测评结果" in response.content.decode()
    assert audit_count() == count


def test_it_refuses_the_superior_page_to_the_organization_itself(client, campaign, tree, secretary):
    evaluation = evaluation_of(campaign, tree.finance_1)
    client.force_login(secretary)
    assert client.get(reverse("campaigns:superior_evaluation", args=[evaluation.pk])).status_code == 403


def test_it_approves_and_returns_five_star_proposals(client, campaign, tree, office_user, reviewer):
    first = force_state(evaluation_of(campaign, tree.finance_1), EvaluationState.REVIEW_PENDING)
    second = force_state(evaluation_of(campaign, tree.finance_2), EvaluationState.REVIEW_PENDING)
    client.force_login(reviewer)
    assert client.get(reverse("campaigns:review", args=[first.pk])).status_code == 403
    client.force_login(office_user)
    assert client.get(reverse("campaigns:review", args=[first.pk])).status_code == 200
    response = client.post(reverse("campaigns:review", args=[first.pk]), {"decision": "approve", "comment": "属实"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.state in (EvaluationState.EVALUATED, EvaluationState.RATED, EvaluationState.NOTICE_PASSED)
    response = client.post(reverse("campaigns:review", args=[second.pk]), {"decision": "return", "comment": ""})
    assert response.status_code == 200  # a return needs a reason
    client.post(reverse("campaigns:review", args=[second.pk]), {"decision": "return", "comment": "创新项目不足"})
    second.refresh_from_db()
    assert (second.state, second.return_reason) == (EvaluationState.REEVALUATION, "创新项目不足")
    assert actions("evaluation.five_star") == ["evaluation.five_star_approved", "evaluation.five_star_returned"]


def test_it_records_a_direct_check(client, campaign, tree, office_user):
    evaluation = force_state(evaluation_of(campaign, tree.finance), EvaluationState.SELF_SUBMITTED)
    client.force_login(office_user)
    response = client.post(
        reverse("campaigns:direct_check", args=[evaluation.pk]),
        {"method": "sample", "finding": "台账齐全", "checked_on": "2025-06-01"},
    )
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert (evaluation.check_method, evaluation.check_finding) == ("sample", "台账齐全")
    assert actions("evaluation.") == ["evaluation.direct_checked"]
    # Not directly under the committee: refused on the form.
    other = force_state(evaluation_of(campaign, tree.finance_1), EvaluationState.SELF_SUBMITTED)
    response = client.post(
        reverse("campaigns:direct_check", args=[other.pk]),
        {"method": "census", "finding": "x", "checked_on": "2025-06-01"},
    )
    assert response.status_code == 200
    assert "只有市直工委直属的组织" in response.content.decode()


def test_it_exports_the_self_evaluation_as_word(client, campaign, tree, secretary):
    evaluation = self_evaluate(evaluation_of(campaign, tree.finance_1), secretary)
    client.force_login(secretary)
    response = client.get(reverse("campaigns:self_evaluation_docx", args=[evaluation.pk]))
    assert response.status_code == 200
    assert response.content[:2] == b"PK"


def _facts_card(content: str) -> list[tuple[str, str, list[str]]]:
    """The evidence card's lines: label, text (tags stripped), link addresses."""
    card = re.search(r'<dl class="facts">(.*?)</dl>', content, re.S).group(1)
    lines = []
    for label, value in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", card, re.S):
        links = [html.unescape(address) for address in re.findall(r'href="([^"]*)"', value)]
        lines.append((label, html.unescape(re.sub(r"<[^>]+>", "", value)), links))
    return lines


def test_it_shows_the_evidence_facts_in_chinese_with_links_to_their_records(
    client, campaign, tree, secretary, reviewer
):
    # given FIN-1 with a commendation, a criticism, an absence and an election overdue on the deadline
    CommendationFactory(organization=tree.finance_1)
    CriticismNoticeFactory(organization=tree.finance_1)
    AbsenceFactory(organization=tree.finance_1, description="无故缺席季度工作会议")
    AbsenceFactory(organization=tree.finance_1, description="请假缺席培训", is_excused=True, excuse_reason="出差")
    ElectionFactory(organization=tree.finance_1, last_election=date(2020, 6, 1), term_years=3)
    evaluation = self_evaluate(evaluation_of(campaign, tree.finance_1), secretary)
    overdue = (campaign.deadline - date(2023, 6, 1)).days
    client.force_login(reviewer)

    # when the reviewer opens the superior evaluation
    lines = _facts_card(client.get(reverse("campaigns:superior_evaluation", args=[evaluation.pk])).content.decode())

    # then every fact has a Chinese label and a readable value, and nothing raw is left
    records = f"organization={tree.finance_1.pk}&scope=own&year={YEAR}"
    assert lines == [
        # only confirmed commendations count (a claim waits for the superior): the link lists those
        ("表彰及署名文章", "市级 1 项 · 查看表彰及署名文章", [f"/records/commendations/?{records}&status=confirmed"]),
        ("党建创新", "无", []),
        ("通报批评", "市直工委 1 次、市委 0 次 · 查看通报批评", [f"/records/criticisms/?{records}"]),
        ("班子成员受处分", "严重警告以下 0 人次、撤销党内职务以上 0 人次", []),
        ("一般党员违法违纪", "0 人次", []),
        ("无故缺席或未按时完成任务", "1 次 · 查看缺席及未按时完成任务", [f"/records/absences/?{records}&is_excused=0"]),
        ("换届", f"逾期 {overdue} 天 · 查看换届信息", [reverse("orgs:detail", args=[tree.finance_1.pk])]),
    ]
    text = "".join(label + value for label, value, _ in lines)
    assert not re.search(r"[A-Za-z_\[\]{}']", text)
    # and a link lists exactly the records counted: the absence without an excuse
    listed = client.get(lines[5][2][0])
    assert listed.status_code == 200
    assert [record.description for record in listed.context["page_obj"]] == ["无故缺席季度工作会议"]


def test_it_puts_the_return_of_the_self_evaluation_after_the_scores_behind_a_details(
    client, campaign, tree, secretary, reviewer
):
    evaluation = self_evaluate(evaluation_of(campaign, tree.finance_1), secretary)
    client.force_login(reviewer)

    content = client.get(reverse("campaigns:superior_evaluation", args=[evaluation.pk])).content.decode()

    submit = content.index('name="action" value="submit"')
    return_form = content.index(f'action="{reverse("campaigns:self_return", args=[evaluation.pk])}"')
    details = content.rindex("<details", 0, return_form)
    assert submit < details < return_form < content.index("</details>", return_form)
    assert content[details : content.index(">", details) + 1] == '<details class="card" id="return-self">'
    assert "<summary>退回自评…</summary>" in content[details:return_form]
    assert re.search(r'<textarea name="reason"[^>]*required', content[return_form:])
