"""``xingji rate`` options (--explain, --quota, --stage) and ``xingji schemes``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def write_population(folder: Path, organizations: list[dict], name: str = "orgs.json") -> Path:
    path = folder / name
    path.write_text(json.dumps({"organizations": organizations}, ensure_ascii=False), encoding="utf-8")
    return path


def stars_of(document: dict) -> dict[str, int]:
    return {organization["id"]: organization["stars"] for organization in document["organizations"]}


def rules_of(document: dict, organization_id: str) -> list[str]:
    organization = next(o for o in document["organizations"] if o["id"] == organization_id)
    return [reason["rule"] for reason in organization["reasons"]]


# ----------------------------------------------------------------- explain

EXPLAINED = [
    {
        "id": "JG-001",
        "name": "市财政局机关第一支部",
        "base_score": 86.5,
        "satisfaction": 0.72,
        "commendations": ["city", "province"],
        "criticisms": {"working_committee": 1},
        "absences": 3,
    },
    {"id": "JG-002", "name": "市发改委机关第一支部", "base_score": 80},
]


def test_it_explains_one_organization_in_chinese(xingji, tmp_path):
    # Given an organization with a bonus, a criticism and three absences
    write_population(tmp_path, EXPLAINED)

    # When its explanation is asked for
    run = xingji("rate", "orgs.json", "--explain", "JG-001")

    # Then a Chinese report names it and walks through every clause, step by step
    assert run.returncode == 0, run.stderr
    assert (
        run.stdout
        == "\n".join(
            [
                "市财政局机关第一支部（JG-001） 星级评定说明",
                "评定方案：安阳市直机关基层服务型党组织星级创建（2017）",
                "",
                "1. 基础分86.50分，为直接给出的得分",
                "2. 当年度党组织或书记受到表彰、发表署名文章2项，以最高的省级为准，加5分（五(三)1）",
                "3. 受市直工委通报批评1次，扣3分（五(三)3）",
                "4. 无故缺席市直工委会议、培训或未按时完成任务3次，扣9分（五(三)6）",
                "5. 加减分合计-7.00分",
                "6. 最终得分79.50分，在70.00至80.00分（不含80.00分）之间，分数段为三星级（五(二)）",
                "7. 年度内无故缺席或未按时完成任务累计3次（3次及以上），年底评定降低一个星级，由三星级调整为二星级（五(三)6）",  # noqa: E501
                "8. 年度内无故缺席或未按时完成任务累计3次（3次及以上），不得定为五星级，现为二星级，不受影响（五(三)6）",  # noqa: E501
                "9. 评定结果：二星级",
            ]
        )
        + "\n"
    )
    for clause in ("五(三)1", "五(三)3", "五(三)6", "五(二)"):
        assert clause in run.stdout
    assert list(tmp_path.iterdir()) == [tmp_path / "orgs.json"]


def test_it_refuses_to_explain_an_unknown_organization_and_writes_nothing(xingji, tmp_path):
    # Given a population without JG-404
    write_population(tmp_path, EXPLAINED)

    # When JG-404 is to be explained, with and without an output file
    printed = xingji("rate", "orgs.json", "--explain", "JG-404")
    written = xingji("rate", "orgs.json", "--explain", "JG-404", "-o", "out.json")

    # Then both fail, naming the id, and nothing is printed or written
    for run in (printed, written):
        assert run.returncode == 2
        assert run.stdout == ""
        assert run.stderr == "错误：输入中没有编号为“JG-404”的组织\n"
    assert not (tmp_path / "out.json").exists()


# ----------------------------------------------------------------- schemes


def test_it_lists_the_shipped_schemes_with_their_source(xingji):
    # When the schemes are listed
    run = xingji("schemes")

    # Then anyang-2017 is there with its name and the plan it comes from
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    position = lines.index("anyang-2017\t安阳市直机关基层服务型党组织星级创建（2017）")
    assert lines[position + 1] == "\t出处：安阳市直工委《市直机关基层服务型党组织星级创建活动实施方案》五、星级评定标准"


def test_it_runs_as_the_installed_console_script(xingji, tmp_path):
    # Given the console script installed next to this interpreter
    script = Path(sys.executable).parent / "xingji"
    if not script.exists():
        pytest.skip("no console script next to the interpreter")

    # When it lists the schemes
    completed = subprocess.run([script, "schemes"], cwd=tmp_path, capture_output=True, check=False, timeout=60)

    # Then it answers as python -m xingji does
    assert completed.returncode == 0, completed.stderr.decode("utf-8")
    assert completed.stdout.decode("utf-8") == xingji("schemes").stdout


# ------------------------------------------------------------------- quota

# Ten organizations: the five-star ceiling is floor(0.1·10) = 1, and there are
# three. both end at 95.00 (Q-01 through a +3 bonus); the tie is
# decided by the base score, so Q-02 is kept and Q-01 moves, with Q-03 (91.00).
# Q-10 (40.00, no star) meets the one-star floor ceil(0.1·10) = 1.
QUOTA_POPULATION = [
    {"id": "Q-01", "base_score": 92, "commendations": ["city"]},
    {"id": "Q-02", "base_score": 95},
    {"id": "Q-03", "base_score": 91},
    *({"id": f"Q-{number:02d}", "base_score": 80 + number} for number in range(4, 10)),
    {"id": "Q-10", "base_score": 40},
]
BANDED = {"Q-01": 5, "Q-02": 5, "Q-03": 5, **{f"Q-{n:02d}": 4 for n in range(4, 10)}, "Q-10": 0}
FIVE_STAR_CHECK = {
    "rule": "five_star_ceiling",
    "clause": "五(二)",
    "label": "五星级不超过10%",
    "bound": "max",
    "levels": [5],
    "share": "0.1",
    "base": {"population": 10, "text": "全部"},
    "rounding": "floor",
    "limit": 1,
    "count_before": 3,
    "satisfied": False,
    "ties": [{"final_score": "95.00", "kept": ["Q-02"], "moved": ["Q-01"], "decided_by": "base_score"}],
}
ONE_STAR_CHECK = {
    "rule": "one_star_floor",
    "clause": "五(二)",
    "label": "一星级及以下不低于10%",
    "bound": "min",
    "levels": [0, 1],
    "share": "0.1",
    "base": {"population": 10, "text": "全部"},
    "rounding": "ceil",
    "limit": 1,
    "count_before": 1,
    "count": 1,
    "satisfied": True,
    "ties": [],
}


def test_it_moves_excess_five_stars_only_when_the_quota_is_enforced(xingji, tmp_path):
    # Given three five-star organizations among ten
    write_population(tmp_path, QUOTA_POPULATION)

    # When rated with each quota mode
    runs = {mode: xingji("rate", "orgs.json", "--quota", mode) for mode in ("enforce", "warn", "off")}
    default = xingji("rate", "orgs.json")

    # Then only enforce changes stars: the two lowest-ranked five-star organizations become four
    for run in (*runs.values(), default):
        assert run.returncode == 0, run.stderr
    enforced, warned, off = (runs[mode].json() for mode in ("enforce", "warn", "off"))
    assert stars_of(enforced) == {**BANDED, "Q-01": 4, "Q-03": 4}
    assert stars_of(warned) == BANDED
    assert stars_of(off) == BANDED
    assert default.json() == warned

    # And each move is a reason on the organization it moved
    q01 = next(o for o in enforced["organizations"] if o["id"] == "Q-01")
    assert q01["reasons"][-1] == {
        "rule": "five_star_ceiling",
        "clause": "五(二)",
        "effect": "quota",
        "from": 5,
        "to": 4,
        "message": "五星级数量超过总数的10%（限1个），按排名由五星级调整为四星级（五(二)）",
    }
    assert rules_of(enforced, "Q-03") == ["five_star_ceiling"]
    assert rules_of(enforced, "Q-02") == []
    assert rules_of(warned, "Q-01") == ["commendation"]
    assert rules_of(warned, "Q-03") == []

    # And the summary says which mode ran and what moved (or would move)
    assert enforced["summary"]["quota"] == {
        "mode": "enforce",
        "checks": [{**FIVE_STAR_CHECK, "count": 1, "moved": ["Q-01", "Q-03"]}, {**ONE_STAR_CHECK, "moved": []}],
    }
    assert warned["summary"]["quota"] == {
        "mode": "warn",
        "checks": [
            {**FIVE_STAR_CHECK, "count": 3, "would_move": ["Q-01", "Q-03"]},
            {**ONE_STAR_CHECK, "would_move": []},
        ],
    }
    assert off["summary"]["quota"] == {"mode": "off", "checks": []}
    assert enforced["summary"]["by_stars"] == {"0": 1, "1": 0, "2": 0, "3": 0, "4": 8, "5": 1}
    assert (
        warned["summary"]["by_stars"] == off["summary"]["by_stars"] == {"0": 1, "1": 0, "2": 0, "3": 0, "4": 6, "5": 3}
    )


# ------------------------------------------------------------------- stage


def test_it_demotes_for_three_absences_at_year_end_only(xingji, tmp_path):
    # Given an organization with three unexcused absences (95 - 9 = 86, band four)
    # and one with two (95 - 6 = 89, band four)
    write_population(
        tmp_path, [{"id": "S-3", "base_score": 95, "absences": 3}, {"id": "S-2", "base_score": 95, "absences": 2}]
    )

    # When rated at the mid-year declaration, at the year-end review, and by default
    mid_year = xingji("rate", "orgs.json", "--stage", "mid-year", "--quota", "off")
    year_end = xingji("rate", "orgs.json", "--stage", "year-end", "--quota", "off")
    default = xingji("rate", "orgs.json", "--quota", "off")

    # Then the one-level demotion applies at year-end (the default) only
    for run in (mid_year, year_end, default):
        assert run.returncode == 0, run.stderr
    mid_year, year_end, default = mid_year.json(), year_end.json(), default.json()
    assert (mid_year["stage"], year_end["stage"]) == ("mid_year", "year_end")
    assert default == year_end
    assert stars_of(mid_year) == {"S-3": 4, "S-2": 4}
    assert stars_of(year_end) == {"S-3": 3, "S-2": 4}
    assert rules_of(mid_year, "S-3") == ["absence", "absence_cap"]
    assert rules_of(year_end, "S-3") == ["absence", "absence_demotion", "absence_cap"]
    demotion = next(o for o in year_end["organizations"] if o["id"] == "S-3")["reasons"][1]
    assert (demotion["clause"], demotion["effect"], demotion["from"], demotion["to"]) == ("五(三)6", "demote", 4, 3)
    assert rules_of(year_end, "S-2") == ["absence"]


# ------------------------------------------------------------------ scheme


def shipped_scheme() -> str:
    import xingji as package

    return (Path(package.__file__).parent / "rules" / "schemes" / "anyang-2017.toml").read_text(encoding="utf-8")


def test_it_rates_with_a_scheme_file_given_by_path(xingji, tmp_path):
    # Given a local scheme where five stars start at 85 instead of 90
    text = shipped_scheme()
    for old, new in (
        ('id = "anyang-2017"', 'id = "local-85"'),
        ("min_score = 90", "min_score = 85"),
        ("max_score = 90", "max_score = 85"),
    ):
        assert old in text
        text = text.replace(old, new)
    (tmp_path / "local.toml").write_text(text, encoding="utf-8")
    write_population(tmp_path, [{"id": "A-1", "base_score": 86}])

    # When the same organization is rated with the default scheme and with the file
    default = xingji("rate", "orgs.json")
    local = xingji("rate", "orgs.json", "--scheme", "local.toml")

    # Then 86 is four stars by default and five by the local scheme
    assert default.returncode == local.returncode == 0, (default.stderr, local.stderr)
    assert (default.json()["scheme"], stars_of(default.json())) == ("anyang-2017", {"A-1": 4})
    assert (local.json()["scheme"], stars_of(local.json())) == ("local-85", {"A-1": 5})


def test_it_refuses_a_scheme_file_with_a_wrong_key_naming_the_file_and_the_key(xingji, tmp_path):
    # Given a scheme file with an unknown key in its last table (the survey's last answer option)
    (tmp_path / "wrong.toml").write_text(shipped_scheme() + "\ncolour = 1\n", encoding="utf-8")
    write_population(tmp_path, [{"id": "A-1", "base_score": 86}])

    # When it is used
    run = xingji("rate", "orgs.json", "--scheme", "wrong.toml", "-o", "out.json")

    # Then it is refused with the file, the key and the reason, and nothing is written
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "wrong.toml" in run.stderr
    assert "survey.options[2].colour" in run.stderr
    assert "未知的键" in run.stderr
    assert not (tmp_path / "out.json").exists()
