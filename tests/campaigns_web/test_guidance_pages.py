"""晋位争星 pages: a branch's star, last score and way up on its home; a superior's list of who is close or at risk.

The tree and the campaign are ``tests.campaigns.conftest``'s: a mid-year 2025 campaign over the whole tree
under anyang-2017 (bands 90/80/70/60/50; satisfaction below 60 % costs 5 points, below 50 % no star).
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from tests.campaigns.steps import YEAR, evaluate, evaluation_of
from tests.campaigns_web.guidance_givens import ledger_line, rated
from tests.factories import ElectionFactory
from xingji.campaigns import guidance, services
from xingji.campaigns.models import Evaluation
from xingji.orgs.models import Election


def election_due_in(organization, days: int) -> Election:
    """An election whose term ends ``days`` from today (negative: overdue)."""
    today = timezone.localdate()
    due = today + timedelta(days=days)
    return ElectionFactory(organization=organization, last_election=due.replace(year=due.year - 3), term_years=3)


def page(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(name, args=args), params)


# --- the branch's home ---------------------------------------------------------------------


def test_the_home_shows_the_star_the_last_score_with_reasons_and_the_way_to_five_stars(
    client, campaign, tree, secretary, reviewer, office_user
):
    # given FIN-1 evaluated at 85 points (four stars by its band), four stars in the star ledger
    evaluation = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score="8.5")
    ledger_line(tree.finance_1, office_user, level=4, name="四星级")

    # when its secretary opens the home page
    content = page(client, secretary, "web:home").content.decode()

    # then it shows the ledger's star, the score and its reasons
    assert '<strong id="guidance-current">四星级</strong>' in content
    assert '<strong id="guidance-score">85.00</strong>' in content
    for line in evaluation.explanation:
        assert f"<li>{line}</li>" in content
    # and what it takes to reach five stars, in plain Chinese, with links to what to do
    steps = content.split('<ul class="due" id="guidance-steps">', 1)[1].split("</ul>", 1)[0]
    assert "要达到★★★★★（五星级）：</strong>各项评分合计还需提高5分" in steps
    assert f'href="{reverse("branchwork:branch", args=[tree.finance_1.pk])}"' in steps
    facts = f"{reverse('records:facts')}?organization={tree.finance_1.pk}&amp;year={YEAR}"
    assert f'href="{facts}"' in steps
    assert f'href="{reverse("campaigns:guidance_organization", args=[tree.finance_1.pk])}"' in content


def test_the_home_links_an_overdue_election_to_the_election_page(client, campaign, tree, secretary, office_user):
    # given FIN-1 at 95 points but its election overdue by more than a year on the campaign's deadline:
    # capped at three stars (五(三) level rule)
    ElectionFactory(organization=tree.finance_1, last_election=date(2020, 1, 1), term_years=3)
    rated(campaign, tree.finance_1, score="9.5")

    # when its secretary opens the home page
    content = page(client, secretary, "web:home").content.decode()

    # then holding the election is the way up, linked to the election page
    steps = content.split('id="guidance-steps">', 1)[1].split("</ul>", 1)[0]
    assert "按期完成换届选举" in steps
    assert f'href="{reverse("orgs:election", args=[tree.finance_1.pk])}"' in steps


def test_an_organization_with_no_rating_gets_a_message_not_an_error(client, campaign, tree, secretary):
    # given FIN-1 never rated (its evaluation still a draft, nothing in the star ledger)

    # when its secretary opens the home page and the guidance page
    home = page(client, secretary, "web:home")
    own = page(client, secretary, "campaigns:guidance_organization", tree.finance_1.pk)

    # then both say so plainly
    assert home.status_code == own.status_code == 200
    for response in (home, own):
        content = response.content.decode()
        assert guidance.NO_RATING in content
        assert '<strong id="guidance-current">未定级</strong>' in content
        assert 'id="guidance-steps"' not in content


def test_a_level_above_the_top_no_number_or_without_a_band_is_a_message(client, campaign, tree, secretary):
    # given FIN-1 rated
    rated(campaign, tree.finance_1, score="8.5")

    # when levels the scheme cannot give are asked for
    answers = {
        level: page(client, secretary, "campaigns:guidance_organization", tree.finance_1.pk, level=level)
        for level in ("9", "四", "-1")
    }

    # then each is a 200 with a message naming the problem
    assert {response.status_code for response in answers.values()} == {200}
    above = answers["9"].content.decode().split('id="guidance-message">', 1)[1].split("</p>", 1)[0]
    assert above.startswith("等级 9 高于评定方案“") and above.endswith("”的最高等级（五星级，5）")
    assert "等级“四”应为整数（如 4）" in answers["四"].content.decode()
    assert "没有等级 -1 的分数段" in answers["-1"].content.decode()


def test_one_level_asked_for_shows_only_that_step(client, campaign, tree, secretary):
    # given FIN-1 at 75 points (three stars)
    rated(campaign, tree.finance_1, score="7.5")

    # when five stars only is asked for
    content = page(client, secretary, "campaigns:guidance_organization", tree.finance_1.pk, level="5").content.decode()

    # then one line: 15 points to five stars
    steps = content.split('id="guidance-steps">', 1)[1].split("</ul>", 1)[0]
    assert steps.count("<li ") == 1
    assert "要达到★★★★★（五星级）：</strong>各项评分合计还需提高15分" in steps


# --- a superior's list ---------------------------------------------------------------------


def test_the_list_sorts_by_points_missing_and_reverses(client, campaign, tree, reviewer):
    # given FIN-1 at 88 (2 points from five stars), FIN-2 at 71 (9 from four), FIN itself at 79 (1 from four)
    rated(campaign, tree.finance_1, score="8.8")
    rated(campaign, tree.finance_2, score="7.1")
    rated(campaign, tree.finance, score="7.9")

    # when the reviewer opens the list, then sorts the other way, then by score
    closest = codes(page(client, reviewer, "campaigns:guidance_list"))
    farthest = codes(page(client, reviewer, "campaigns:guidance_list", sort="-gap"))
    by_score = codes(page(client, reviewer, "campaigns:guidance_list", sort="-score"))

    # then the closest to its next star comes first, and each order is the one asked for
    assert closest == ["FIN", "FIN-1", "FIN-2"]
    assert farthest == ["FIN-2", "FIN-1", "FIN"]
    assert by_score == ["FIN-1", "FIN", "FIN-2"]


def codes(response) -> list[str]:
    content = response.content.decode()
    body = content.split('id="guidance-rows">', 1)[1].split("</table>", 1)[0]
    return [chunk.split('"', 1)[0] for chunk in body.split('data-organization="')[1:]]


def test_the_list_shows_each_rows_step_and_the_points_missing(client, campaign, tree, reviewer):
    rated(campaign, tree.finance_1, score="8.8")

    content = page(client, reviewer, "campaigns:guidance_list").content.decode()

    row = content.split('data-organization="FIN-1">', 1)[1].split("</tr>", 1)[0]
    assert "2.00（五星级）" in row
    assert "达到五星级：各项评分合计还需提高2分" in row


def test_the_at_risk_filter_keeps_only_organizations_at_risk(client, campaign, tree, reviewer):
    # given FIN-1 at 81 (one point above four stars' line), FIN-2 at 85 (safe)
    rated(campaign, tree.finance_1, score="8.1")
    rated(campaign, tree.finance_2, score="8.5")

    listed = codes(page(client, reviewer, "campaigns:guidance_list", risk="1"))

    assert listed == ["FIN-1"]


def test_the_list_holds_only_the_users_subtree_and_another_subtree_is_not_reachable(
    client, campaign, tree, reviewer, office_user
):
    # given FIN-1 and EDU-1 rated
    rated(campaign, tree.finance_1, score="8.8")
    rated(campaign, tree.education_1, score="8.8")

    # when FIN's reviewer opens the list, and EDU-1's guidance page
    listed = codes(page(client, reviewer, "campaigns:guidance_list"))
    outside = page(client, reviewer, "campaigns:guidance_organization", tree.education_1.pk)

    # then EDU-1 is neither listed nor reachable (404, as for a missing organization)
    assert listed == ["FIN-1"]
    assert outside.status_code == 404
    assert page(client, reviewer, "campaigns:guidance_organization", 999_999).status_code == 404


def test_a_campaign_outside_the_users_sight_is_404_on_the_list_and_the_export(client, tree, office_user, edu_reviewer):
    # given a campaign over FIN's subtree only
    finance_campaign = services.campaign_create(root=tree.finance, year=YEAR, kind="year_end", actor=office_user)

    # when EDU's reviewer asks for it
    listed = page(client, edu_reviewer, "campaigns:guidance_list", campaign=finance_campaign.pk)
    exported = page(client, edu_reviewer, "campaigns:guidance_export", campaign=finance_campaign.pk)

    # then both are 404
    assert listed.status_code == exported.status_code == 404


def test_a_secretary_sees_its_own_organization_only(client, campaign, tree, secretary):
    rated(campaign, tree.finance_1, score="8.8")
    rated(campaign, tree.finance_2, score="8.8")

    assert codes(page(client, secretary, "campaigns:guidance_list")) == ["FIN-1"]
    assert page(client, secretary, "campaigns:guidance_organization", tree.finance_2.pk).status_code == 404


def test_nothing_rated_yet_gives_a_message(client, campaign, tree, reviewer):
    response = page(client, reviewer, "campaigns:guidance_list")

    assert response.status_code == 200
    assert "尚无评定结果" in response.content.decode()
    assert 'id="guidance-rows"' not in response.content.decode()


def test_the_export_has_every_row_in_the_pages_order(client, campaign, tree, reviewer):
    # given FIN at 79, FIN-1 at 88, FIN-2 at 71 (at risk: 1 point above three stars' line)
    rated(campaign, tree.finance, score="7.9")
    rated(campaign, tree.finance_1, score="8.8")
    rated(campaign, tree.finance_2, score="7.1")

    # when the reviewer exports the list sorted by score, highest first
    response = page(client, reviewer, "campaigns:guidance_export", sort="-score")

    # then the sheet holds the three rows in that order, with the figures and the step of each
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert rows[0] == [
        *("党组织", "编号", "评定星级", "最终得分", "下一星级"),
        *("距下一星级（分）", "降级风险", "晋级所需", "评定理由"),
    ]
    body = rows[1:4]
    assert [row[1] for row in body] == ["FIN-1", "FIN", "FIN-2"]
    assert [row[2] for row in body] == ["四星级", "三星级", "三星级"]
    assert [Decimal(str(row[3])) for row in body] == [Decimal("88"), Decimal("79"), Decimal("71")]
    assert [Decimal(str(row[5])) for row in body] == [Decimal(2), Decimal(1), Decimal(9)]
    assert body[0][6] == ""
    assert body[2][6] == "得分71.00分，仅高出三星级分数线70.00分1.00分"
    assert body[0][7].startswith("达到五星级：各项评分合计还需提高2分，可提升：1.")
    assert body[0][7].endswith("五星级不超过10%：是否受名额限制，待全体评定后才能确定")
    assert body[2][7].startswith("达到四星级：各项评分合计还需提高9分")
    # the notes say which campaign, and what counts as at risk
    assert ["评定活动：2025年度申报创星"] in [row[:1] for row in rows[4:]]


# --- at risk, at the edges -----------------------------------------------------------------


def risks(campaign, *, final, band, satisfaction=None, election=None, today=date(2026, 6, 1)) -> list[str]:
    evaluation = Evaluation(final_score=Decimal(final), band_level=band, level=band, survey_satisfaction=satisfaction)
    return guidance.risks_of(
        campaign.scheme,
        evaluation,
        election,
        today,
        margin=Decimal(2),
        lines=guidance.satisfaction_lines(campaign.scheme_text),
    )


def test_a_score_is_at_risk_below_two_points_above_its_band_and_not_at_two(campaign):
    assert risks(campaign, final="80.00", band=4) == ["得分80.00分，仅高出四星级分数线80.00分0.00分"]
    assert risks(campaign, final="81.99", band=4) == ["得分81.99分，仅高出四星级分数线80.00分1.99分"]
    assert risks(campaign, final="82.00", band=4) == []
    # the lowest band (no star) has no edge to fall from
    assert risks(campaign, final="10.00", band=0) == []


def test_the_margin_comes_from_the_settings(campaign, settings):
    settings.XINGJI_GUIDANCE_MARGIN_POINTS = 5
    assert guidance.margin_points() == Decimal(5)


def test_an_election_is_at_risk_within_ninety_days_or_overdue(campaign, tree):
    today = date(2026, 6, 1)

    def due_in(days: int) -> Election:
        due = today + timedelta(days=days)
        return Election(organization=tree.finance_1, last_election=due.replace(year=due.year - 3), term_years=3)

    assert risks(campaign, final="85", band=4, election=due_in(90), today=today) == ["换届将于2026-08-30到期（90天后）"]
    assert risks(campaign, final="85", band=4, election=due_in(91), today=today) == []
    assert risks(campaign, final="85", band=4, election=due_in(-3), today=today) == ["换届已逾期3天"]


def test_a_satisfaction_is_at_risk_less_than_five_points_above_a_rules_line(campaign):
    # anyang-2017: below 60 % costs 5 points (五(三)4), below 50 % no star (五(三)4)
    assert guidance.satisfaction_lines(campaign.scheme_text) == (
        (Decimal("0.6"), "五(三)4", "扣分"),
        (Decimal("0.5"), "五(三)4", "定级受限"),
    )
    assert risks(campaign, final="85", band=4, satisfaction=Decimal("0.6")) == ["满意率60%，接近60%的扣分线（五(三)4）"]
    assert risks(campaign, final="85", band=4, satisfaction=Decimal("0.6499")) == [
        "满意率64.99%，接近60%的扣分线（五(三)4）"
    ]
    assert risks(campaign, final="85", band=4, satisfaction=Decimal("0.65")) == []
    assert risks(campaign, final="85", band=4, satisfaction=Decimal("0.52")) == [
        "满意率52%，接近50%的定级受限线（五(三)4）"
    ]
    assert risks(campaign, final="85", band=4, satisfaction=Decimal("0.59")) == []


def test_the_list_names_an_election_falling_due(client, campaign, tree, reviewer):
    election_due_in(tree.finance_1, 30)
    rated(campaign, tree.finance_1, score="8.5")

    content = page(client, reviewer, "campaigns:guidance_list").content.decode()

    row = content.split('data-organization="FIN-1">', 1)[1].split("</tr>", 1)[0]
    assert "（30天后）" in row


def test_the_list_costs_the_same_queries_for_one_row_and_for_three(client, campaign, tree, reviewer):
    # given one rated organization, the list read once
    rated(campaign, tree.finance_1, score="8.8")
    client.force_login(reviewer)
    url = reverse("campaigns:guidance_list")
    with CaptureQueriesContext(connection) as one:
        client.get(url)

    # when two more are rated
    rated(campaign, tree.finance_2, score="7.1")
    rated(campaign, tree.finance, score="7.9")
    with CaptureQueriesContext(connection) as three:
        response = client.get(url)

    # then the page issues as many queries, with a step on each row
    assert len(codes(response)) == 3
    assert len(three.captured_queries) == len(one.captured_queries)


def test_a_superiors_home_links_the_list(client, campaign, tree, reviewer):
    content = page(client, reviewer, "web:home").content.decode()

    assert f'<p id="guidance-link"><a class="button secondary" href="{reverse("campaigns:guidance_list")}">' in content


def test_an_organization_at_the_top_is_told_so(client, campaign, tree, secretary):
    rated(campaign, tree.finance_1, score="9.5")

    content = page(client, secretary, "campaigns:guidance_organization", tree.finance_1.pk).content.decode()

    assert guidance.TOP_REACHED in content
    assert 'id="guidance-steps"' not in content
