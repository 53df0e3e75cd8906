"""晋位争星 guidance: what each step asks for, its clauses, vetoes, quotas and bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from xingji.rules import Engine, load_scheme
from xingji.rules.guidance import (
    ELECTION,
    INNOVATION_PROJECT,
    POINTS,
    SATISFACTION,
    GuidanceError,
    apply_changes,
    guidance,
    guidance_for_level,
    step_line,
    step_to_dict,
)
from xingji.rules.inputs import Organization

ANYANG = load_scheme("anyang-2017")
WUXING = load_scheme("wuxing-chuangping")


def kinds(step) -> list[str]:
    return [change.kind for change in step.changes]


def test_overdue_election_and_points_to_five_stars() -> None:
    organization = Organization("A", base_score=8500, election_overdue=True)
    (five,) = guidance(organization, ANYANG)
    assert five.level == 5 and five.reachable
    assert kinds(five) == [ELECTION, POINTS]
    election, points = five.changes
    assert election.clause == "五(三)5"
    assert "换届" in election.message
    assert points.amount == Decimal("5.00")
    assert "5分" in points.message
    assert Engine(ANYANG).rate_one(apply_changes(organization, ANYANG, five.changes)).stars == 5


def test_satisfaction_below_the_line_gives_the_figure_needed() -> None:
    organization = Organization("A", base_score=8500, satisfaction=Decimal("0.45"))
    steps = guidance(organization, ANYANG)
    assert [step.level for step in steps] == [1, 2, 3, 4, 5]
    one = steps[0]
    assert kinds(one) == [SATISFACTION]
    (change,) = one.changes
    assert change.amount == Decimal("0.5")
    assert change.clause == "五(三)4"
    assert "50%" in change.message


def test_a_deduction_satisfaction_would_lift_is_offered() -> None:
    organization = Organization("A", base_score=8500, satisfaction=Decimal("0.55"))
    (five,) = guidance(organization, ANYANG)
    assert kinds(five) == [POINTS]
    assert five.changes[0].amount == Decimal("10.00")
    offered = [note for note in five.notes if note.kind == "bonus" and "满意率" in note.message]
    assert offered and "60%" in offered[0].message and "5分" in offered[0].message
    assert offered[0].clause == "五(三)4"


def test_bonuses_that_could_still_count() -> None:
    organization = Organization("A", base_score=8500, commendations=("city",))
    (five,) = guidance(organization, ANYANG)
    bonus = [note for note in five.notes if note.kind == "bonus" and note.clause == "五(三)1"]
    # Only the highest counts: a provincial commendation adds 2 more, not 5.
    assert bonus and "省级加2分" in bonus[0].message and "国家级加5分" in bonus[0].message


def test_absences_keep_five_stars_out_of_reach_this_year() -> None:
    organization = Organization("A", base_score=8500, absences=3)
    steps = guidance(organization, ANYANG)
    five = next(step for step in steps if step.level == 5)
    assert not five.reachable
    assert five.changes == ()
    vetoes = [note for note in five.notes if note.kind == "veto"]
    assert vetoes and all(note.clause == "五(三)6" for note in vetoes)
    assert "本年度无法达到五星级" in step_line(five)
    four = next(step for step in steps if step.level == 4)
    assert four.reachable
    assert any(note.kind == "rule" and note.clause == "五(三)6" for note in four.notes)


def test_a_prerequisite_of_the_scheme() -> None:
    organization = Organization("W", base_score=9500)
    (five,) = guidance(organization, WUXING)
    assert kinds(five) == [INNOVATION_PROJECT]
    assert five.changes[0].clause == "五星条件"


def test_newly_founded_is_out_of_reach() -> None:
    organization = Organization("W", base_score=9500, innovation_project=True, newly_founded=True)
    steps = guidance(organization, WUXING)
    assert steps and not any(step.reachable for step in steps)
    assert all(note.clause == "新建组织" for step in steps for note in step.notes if note.kind == "veto")


def test_quota_unknown_without_a_run_and_the_cut_line_with_one() -> None:
    organization = Organization("A", base_score=8900)
    (five,) = guidance(organization, ANYANG)
    (quota,) = [note for note in five.notes if note.kind == "quota"]
    assert quota.clause == "五(二)" and "待全体评定后" in quota.message
    population = [Organization(f"T{n}", base_score=9000 + n * 10) for n in range(10)] + [organization]
    rating = Engine(ANYANG).rate(population)
    (five,) = guidance(organization, ANYANG, rating=rating)
    (quota,) = [note for note in five.notes if note.kind == "quota"]
    # 11 organizations: at most one five-star; the best of the others scored 90.90.
    assert "限1个" in quota.message and "90.90分" in quota.message


def test_at_the_top_there_is_no_step() -> None:
    assert guidance(Organization("A", base_score=9500), ANYANG) == []


def test_a_level_at_or_below_the_result_is_reached() -> None:
    step = guidance_for_level(Organization("A", base_score=9500), ANYANG, 3)
    assert step.reachable and step.changes == ()


def test_a_level_above_the_top_is_refused_in_chinese() -> None:
    with pytest.raises(GuidanceError, match="高于评定方案") as raised:
        guidance_for_level(Organization("A", base_score=8000), ANYANG, 6)
    assert isinstance(raised.value, ValueError)


def test_a_level_without_a_band_is_refused() -> None:
    scheme = load_scheme("xingjihua-guanli")
    with pytest.raises(GuidanceError, match="没有等级 2 的分数段"):
        guidance_for_level(Organization("A", base_score=8000), scheme, 2)


def test_step_as_json() -> None:
    organization = Organization("A", criteria={str(i): 800 for i in range(1, 11)}, election_overdue=True)
    (five,) = guidance(organization, ANYANG)
    data = step_to_dict(five)
    assert data["level"] == 5 and data["reachable"] is True
    assert [change["kind"] for change in data["changes"]] == ["election", "points"]
    assert data["changes"][1]["points"] == "10.00"
    assert data["changes"][1]["headroom"][0] == {"criterion": "1", "name": "组织健全", "points": "2.00"}
    assert data["summary"].startswith("达到五星级：")
