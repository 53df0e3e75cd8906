"""The evaluation page explains a score line for line as ``xingji rate --explain`` does, for the same input."""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from datetime import date

from django.urls import reverse

from tests.campaigns.steps import evaluate, evaluation_of, force_evaluated, run_rating
from tests.factories import ElectionFactory
from tests.records.factories import AbsenceFactory, CommendationFactory, CriticismNoticeFactory
from xingji import cli
from xingji.campaigns import scoring, services
from xingji.campaigns.models import EvaluationState, QuotaMode
from xingji.rules.explain import explanation

NUMBERED = re.compile(r"^\d+\. (.*)$")
CLAUSE = re.compile(r"（([^（）]*[一二三四五六七八九十][^（）]*)）")


def page_lines(client, evaluation) -> list[str]:
    content = client.get(reverse("campaigns:evaluation", args=[evaluation.pk])).content.decode()
    block = content.split('<ol class="explanation" id="explanation">', 1)[1].split("</ol>", 1)[0]
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", block)]


def cli_lines(tmp_path, capsys, evaluations, explained, *, quota: str) -> list[str]:
    """What ``xingji rate INPUT --explain ID`` prints for the evaluations' stored engine input (numbers removed)."""
    path = tmp_path / "input.json"
    path.write_text(
        json.dumps({"organizations": [evaluation.facts for evaluation in evaluations]}, ensure_ascii=False),
        encoding="utf-8",
    )
    capsys.readouterr()
    code = explained.organization.code
    assert cli.main(["rate", str(path), "--stage", "mid-year", "--quota", quota, "--explain", code]) == 0
    printed = capsys.readouterr().out.splitlines()
    return [match.group(1) for line in printed if (match := NUMBERED.match(line))]


def given_evidence(tree) -> None:
    """FIN-1's year: a city commendation, a criticism, an unexcused absence, an election overdue."""
    CommendationFactory(organization=tree.finance_1)
    CriticismNoticeFactory(organization=tree.finance_1)
    AbsenceFactory(organization=tree.finance_1, description="无故缺席季度工作会议")
    ElectionFactory(organization=tree.finance_1, last_election=date(2020, 6, 1), term_years=3)


def test_the_page_explains_the_superior_evaluation_as_the_cli_does(
    client, campaign, tree, secretary, reviewer, tmp_path, capsys
):
    # given FIN-1 evaluated by its reviewer, with evidence that adjusts its score and caps its level
    given_evidence(tree)
    fin_1 = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score=9)
    client.force_login(reviewer)

    # when the reviewer reads the evaluation page
    lines = page_lines(client, fin_1)

    # then its explanation is the CLI's, line for line, for the same engine input
    assert lines == cli_lines(tmp_path, capsys, [fin_1], fin_1, quota="off")
    # and it starts from the base score, gives the band, ends with the level, and says each step once
    assert lines[0].startswith("基础分90.00分，为各项评定内容得分合计")
    assert any(line.startswith("最终得分") and "分数段为" in line for line in lines)
    assert lines[-1] == f"评定结果：{campaign.level_name(fin_1.level)}"
    assert len(lines) == len(set(lines)) >= 4
    for line in lines:
        clauses = CLAUSE.findall(line)
        assert len(clauses) == len(set(clauses)), line


def test_the_page_explains_the_campaign_wide_rating_as_the_cli_does(
    client, campaign, tree, secretary, reviewer, office_user, tmp_path, capsys, django_capture_on_commit_callbacks
):
    # given FIN-1 evaluated with its evidence, the others given as evaluated (FIN-2 at full marks), and the
    # campaign-wide rating run with its quotas enforced: FIN-2 is moved below five stars, someone to one star
    given_evidence(tree)
    evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score=9)
    for organization, score in ((tree.finance_2, 10), (tree.finance, 8), (tree.education, 7), (tree.education_1, 6)):
        force_evaluated(evaluation_of(campaign, organization), score=score)
    services.campaign_quota_mode_change(campaign=campaign, quota_mode=QuotaMode.ENFORCE, actor=office_user)
    run_rating(campaign, office_user, django_capture_on_commit_callbacks)
    evaluations = list(campaign.evaluations.select_related("organization").order_by("organization__path"))
    assert {evaluation.state for evaluation in evaluations} == {EvaluationState.RATED}
    assert "按排名由五星级调整为四星级" in "".join(evaluation_of(campaign, tree.finance_2).explanation)
    client.force_login(office_user)

    # then every organization's page explains its result as the CLI does over the same population
    for evaluation in evaluations:
        assert page_lines(client, evaluation) == cli_lines(tmp_path, capsys, evaluations, evaluation, quota="enforce")


def test_the_stored_explanation_is_the_engines_for_the_stored_input(campaign, tree, secretary, reviewer):
    # One function writes the lines the page and the CLI print: rules.explain.explanation.
    fin_1 = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score=8)
    result = scoring.rate_one(campaign, fin_1.facts)
    assert fin_1.explanation == explanation(result, campaign.scheme)
    assert Counter(fin_1.explanation).most_common(1)[0][1] == 1
