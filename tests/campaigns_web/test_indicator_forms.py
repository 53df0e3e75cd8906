"""The evaluation forms show the branch-work indicators beside their criteria, with links to the records,
and a criterion scored from a known indicator shows the computed score read-only."""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.campaigns.steps import YEAR, evaluation_of, record_survey, self_evaluate
from tests.factories import MemberFactory
from xingji.branchwork.models import Meeting, MeetingKind
from xingji.campaigns import services
from xingji.campaigns.models import CriterionScore, ScorePart


def page(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def indicator_block(text: str, code: str) -> str:
    match = re.search(rf'<div class="indicators" data-indicators="{code}">(.*?)</div>\s*</div>', text, re.S)
    assert match, f"no indicators beside criterion {code}"
    return match.group(1)


def links(evaluation) -> dict[str, str]:
    organization, year = evaluation.organization.pk, evaluation.campaign.year
    return {
        "meetings": f"{reverse('branchwork:branch', args=[organization])}?year={year}",
        "appraisal": reverse("branchwork:appraisal", args=[organization, year]),
        "dues": f"{reverse('dues:branch', args=[organization])}?year={year}",
    }


def test_the_self_evaluation_shows_the_indicators_beside_criteria_2_and_4_with_links(client, campaign, tree, secretary):
    # Given FIN-1 with a roll of two, no meeting and no appraisal yet (anyang-2017: facts only); the
    # mid-year campaign's deadline, 5 June, closes January to May and the first quarter: 17 periods owed
    for _ in range(2):
        MemberFactory(organization=tree.finance_1)
    evaluation = evaluation_of(campaign, tree.finance_1)
    client.force_login(secretary)

    text = page(client.get(reverse("campaigns:self_evaluation", args=[evaluation.pk])))

    expected = links(evaluation)
    second, fourth = indicator_block(text, "2"), indicator_block(text, "4")
    assert "组织生活落实率：0%（已开0次/应开17次）" in second
    assert f'href="{expected["meetings"]}"' in second.replace("&amp;", "&")
    assert "民主评议党员覆盖率：0%（已评议0人/名册2人）" in fourth
    assert f'href="{expected["appraisal"]}"' in fourth
    assert "按时交纳党费比例：无（不适用或尚无应完成的）" in fourth
    assert f'href="{expected["dues"]}"' in fourth
    assert 'data-indicators="1"' not in text
    # Facts only: every score field stays editable
    assert not re.search(r'name="score_\d+"[^>]*disabled', text)
    # And the linked pages open for the branch's own secretary
    for url in expected.values():
        assert client.get(url).status_code == 200


def test_the_superior_evaluation_shows_the_same_indicators(client, campaign, tree, secretary, reviewer):
    evaluation = evaluation_of(campaign, tree.finance_1)
    self_evaluate(evaluation, secretary)
    client.force_login(reviewer)

    text = page(client.get(reverse("campaigns:superior_evaluation", args=[evaluation.pk])))

    assert "组织生活落实率：0%（已开0次/应开17次）" in indicator_block(text, "2")
    assert f'href="{links(evaluation)["appraisal"]}"' in indicator_block(text, "4")
    for url in links(evaluation).values():
        assert client.get(url).status_code == 200


def test_another_branch_cannot_follow_the_links(client, campaign, tree, secretary_2):
    # Subtree scoping is the records pages' own: FIN-2's secretary sees neither the form nor FIN-1's records
    evaluation = evaluation_of(campaign, tree.finance_1)
    client.force_login(secretary_2)

    assert client.get(reverse("campaigns:self_evaluation", args=[evaluation.pk])).status_code == 404
    for url in links(evaluation).values():
        assert client.get(url).status_code in (403, 404)


@pytest.fixture
def wuxing(tree, office_user):
    created = services.campaign_create(
        root=tree.root, year=YEAR, kind="year_end", scheme="wuxing-chuangping", quota_mode="off", actor=office_user
    )
    return services.campaign_open(campaign=created, actor=office_user)


def hold_every_monthly_meeting(branch) -> None:
    """Every month's three kinds. Judged on the deadline, 31 December: 36 held of 42 owed (the open fourth
    quarter and year not held are not counted yet): 85.71 %, the 75 % step, 9 of 15 points."""
    for month in range(1, 13):
        for kind in (MeetingKind.COMMITTEE, MeetingKind.GROUP_MEETING, MeetingKind.THEME_DAY):
            Meeting.objects.create(
                organization=branch, kind=kind, held_on=date(YEAR, month, 9), place="会议室", host="书记", topic="学习"
            )


def form_data(campaign, organization, value) -> dict[str, str]:
    data = {}
    for criterion in campaign.scheme.criteria_for(organization.category):
        data[f"score_{criterion.code}"] = str(value)
        data[f"comment_{criterion.code}"] = ""
    return data


def test_a_scored_criterion_is_read_only_with_the_computed_score_end_to_end(client, wuxing, tree, secretary, reviewer):
    hold_every_monthly_meeting(tree.finance_1)
    evaluation = evaluation_of(wuxing, tree.finance_1)
    client.force_login(secretary)
    url = reverse("campaigns:self_evaluation", args=[evaluation.pk])

    # The self-evaluation shows the figure, the formula and the computed 9 points in a read-only field
    text = page(client.get(url))
    block = indicator_block(text, "3")
    assert "组织生活落实率：85.71%（已开36次/应开42次）" in block
    assert "按组织生活落实率计分：达到100%得15分，达到90%得12分，达到75%得9分，达到60%得6分，低于各档得0分" in block
    assert "本项按指标计分：9.00分" in block
    assert re.search(r'<input[^>]*name="score_3"[^>]*disabled', text)
    assert re.search(r'<input[^>]*name="score_3"[^>]*value="9.00"', text)

    # When the branch posts 15 for it anyway and claims a level
    data = {**form_data(wuxing, tree.finance_1, 10), "score_3": "15", "claimed_level": "3", "action": "submit"}
    response = client.post(url, data)

    # Then the posted figure is ignored: the stored self score is the indicator's
    assert response.status_code == 302
    assert CriterionScore.objects.get(evaluation=evaluation, part=ScorePart.SELF, criterion_code="3").score == 9

    # And the superior's form shows it read-only too; its submission stores 9 and the engine agrees
    record_survey(evaluation, secretary)
    client.force_login(reviewer)
    superior_url = reverse("campaigns:superior_evaluation", args=[evaluation.pk])
    text = page(client.get(superior_url))
    assert "本项按指标计分：9.00分" in indicator_block(text, "3")
    assert re.search(r'<input[^>]*name="score_3"[^>]*disabled', text)
    response = client.post(
        superior_url, {**form_data(wuxing, tree.finance_1, 10), "score_3": "0", "comment": "", "action": "submit"}
    )
    assert response.status_code == 302
    evaluation.refresh_from_db()
    stored = CriterionScore.objects.get(evaluation=evaluation, part=ScorePart.SUPERIOR, criterion_code="3").score
    assert stored == Decimal("9.00")
    criteria = wuxing.scheme.criteria_for(tree.finance_1.category)
    assert evaluation.base_score == Decimal(10 * (len(criteria) - 1) + 9)
