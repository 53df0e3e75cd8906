"""The superior evaluation page says when the survey (党员群众测评) is missing and then offers no submission."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.campaigns.steps import CODES, evaluation_of, record_survey, self_evaluate
from tests.factories import UserFactory
from xingji.accounts.models import Role

NOTE = "本组织尚未完成有效的党员群众测评，测评结果计入后才能提交考评；现在可以先预览。"


def _button(content: str, action: str) -> str:
    """The opening tag of the form's button with that action."""
    match = re.search(rf'<button type="submit" name="action" value="{action}"[^>]*>', content)
    assert match is not None, action
    return match.group(0)


def _note(content: str) -> str | None:
    match = re.search(r'<p class="note" role="status" id="survey-missing">(.*?)</p>', content)
    return match.group(1) if match else None


def _scores(value) -> dict:
    return {**{f"score_{code}": str(value) for code in CODES}, **{f"comment_{code}": "" for code in CODES}}


def test_it_tells_the_superior_the_survey_is_missing_and_disables_the_submission(
    client, campaign, tree, secretary, reviewer
):
    evaluation = self_evaluate(evaluation_of(campaign, tree.finance_1), secretary)
    record_survey(evaluation, secretary, participants=15)  # 75 %: closed invalid, nothing written
    client.force_login(reviewer)

    content = client.get(reverse("campaigns:superior_evaluation", args=[evaluation.pk])).content.decode()

    note = _note(content)
    assert note is not None and note.startswith(NOTE)
    assert f'<a href="{reverse("surveys:evaluation", args=[evaluation.pk])}">' in note
    assert content.index('id="survey-missing"') < content.index('<table class="list">')
    assert " disabled" in _button(content, "submit")
    assert 'aria-describedby="survey-missing"' in _button(content, "submit")
    assert " disabled" not in _button(content, "preview")


def test_the_superior_can_still_preview_without_the_survey(client, campaign, tree, secretary, reviewer):
    evaluation = self_evaluate(evaluation_of(campaign, tree.finance_1), secretary)
    client.force_login(reviewer)

    response = client.post(
        reverse("campaigns:superior_evaluation", args=[evaluation.pk]),
        {**_scores(9), "comment": "", "action": "preview"},
    )

    assert response.status_code == 200
    assert response.context["preview"] is not None
    assert _note(response.content.decode()) is not None


def test_it_says_nothing_and_offers_the_submission_once_the_survey_is_in(client, campaign, tree, secretary, reviewer):
    evaluation = record_survey(self_evaluate(evaluation_of(campaign, tree.finance_1), secretary), secretary)
    client.force_login(reviewer)

    content = client.get(reverse("campaigns:superior_evaluation", args=[evaluation.pk])).content.decode()

    assert NOTE not in content
    assert 'id="survey-missing"' not in content
    assert " disabled" not in _button(content, "submit")


def test_the_evaluation_list_shows_and_filters_the_survey_state(client, campaign, tree, secretary, reviewer):
    # given two submitted self-evaluations under the reviewer, only FIN-1's survey held (92 % satisfied)
    record_survey(self_evaluate(evaluation_of(campaign, tree.finance_1), secretary), secretary)
    second = UserFactory(organization=tree.finance_2, role=Role.BRANCH_SECRETARY)
    self_evaluate(evaluation_of(campaign, tree.finance_2), second)
    url = reverse("campaigns:evaluation_list", args=[campaign.pk])
    client.force_login(reviewer)

    def listed(**filters) -> list[str]:
        return [evaluation.organization.code for evaluation, *_ in client.get(url, filters).context["rows"]]

    # the superior's two due lines open exactly their organizations
    assert listed(state="self_submitted", survey="done") == ["FIN-1"]
    assert listed(state="self_submitted", survey="missing") == ["FIN-2"]
    content = client.get(url, {"state": "self_submitted"}).content.decode()
    assert "<td>92.00%</td>" in content and '<td><span class="muted">未完成</span></td>' in content
