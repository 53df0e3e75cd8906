"""``xingji rate --next``: the 晋位争星 guidance in the JSON, CSV and XLSX output."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from openpyxl import load_workbook

ORGANIZATIONS = [
    {"id": "A", "name": "一支部", "base_score": "85", "election": {"overdue": True}},
    {"id": "B", "name": "二支部", "base_score": "95"},
    {"id": "C", "name": "三支部", "base_score": "95", "absences": 3},
]


def write_input(folder: Path) -> Path:
    path = folder / "orgs.json"
    path.write_text(json.dumps({"organizations": ORGANIZATIONS}, ensure_ascii=False), encoding="utf-8")
    return path


def test_json_has_a_next_list_per_organization(xingji, tmp_path: Path) -> None:
    run = xingji("rate", write_input(tmp_path), "--next")
    assert run.returncode == 0, run.stderr
    by_id = {o["id"]: o for o in run.json()["organizations"]}
    (five,) = by_id["A"]["next"]
    assert five["level"] == 5 and five["reachable"] is True
    assert [c["kind"] for c in five["changes"]] == ["election", "points"]
    assert five["changes"][0]["clause"] == "五(三)5"
    assert five["changes"][1]["points"] == "5.00"
    assert by_id["B"]["next"] == []
    c_steps = {step["level"]: step for step in by_id["C"]["next"]}
    assert set(c_steps) == {4, 5}
    assert c_steps[5]["reachable"] is False
    assert "本年度无法达到五星级" in c_steps[5]["summary"]


def test_without_next_the_output_is_unchanged(xingji, tmp_path: Path) -> None:
    run = xingji("rate", write_input(tmp_path))
    assert run.returncode == 0, run.stderr
    assert all("next" not in o for o in run.json()["organizations"])


def test_csv_has_a_guidance_column(xingji, tmp_path: Path) -> None:
    output = tmp_path / "out.csv"
    run = xingji("rate", write_input(tmp_path), "--next", "-o", output)
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(output.read_bytes().decode("utf-8-sig"))))
    by_id = {row["组织编号"]: row for row in rows}
    assert by_id["A"]["晋级所需"].startswith("达到五星级：按期完成换届选举")
    assert by_id["B"]["晋级所需"] == ""
    lines = by_id["C"]["晋级所需"].split("\n")
    assert len(lines) == 2 and lines[0].startswith("达到四星级：") and "无法达到五星级" in lines[1]


def test_csv_english_headers_name_the_column_next(xingji, tmp_path: Path) -> None:
    output = tmp_path / "out.csv"
    run = xingji("rate", write_input(tmp_path), "--next", "--headers", "en", "-o", output)
    assert run.returncode == 0, run.stderr
    header = output.read_bytes().decode("utf-8-sig").splitlines()[0].split(",")
    assert header[-1] == "next"


def test_xlsx_has_a_guidance_column(xingji, tmp_path: Path) -> None:
    output = tmp_path / "out.xlsx"
    run = xingji("rate", write_input(tmp_path), "--next", "-o", output)
    assert run.returncode == 0, run.stderr
    sheet = load_workbook(output)["评定结果"]
    header = [cell.value for cell in sheet[1]]
    assert header[-1] == "晋级所需"
    values = {row[0]: row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["A"].startswith("达到五星级：")


def test_one_level_only(xingji, tmp_path: Path) -> None:
    run = xingji("rate", write_input(tmp_path), "--next", "4")
    assert run.returncode == 0, run.stderr
    by_id = {o["id"]: o for o in run.json()["organizations"]}
    assert [step["level"] for step in by_id["C"]["next"]] == [4]
    assert by_id["B"]["next"][0]["changes"] == []  # already above it


def test_a_level_above_the_top_is_refused(xingji, tmp_path: Path) -> None:
    output = tmp_path / "out.csv"
    run = xingji("rate", write_input(tmp_path), "--next", "7", "-o", output)
    assert run.returncode == 2
    assert "高于评定方案" in run.stderr and "Traceback" not in run.stderr
    assert not output.exists()


def test_a_level_without_a_band_is_refused(xingji, tmp_path: Path) -> None:
    run = xingji("rate", write_input(tmp_path), "--scheme", "xingjihua-guanli", "--next", "2")
    assert run.returncode == 2
    assert "没有等级 2 的分数段" in run.stderr and "Traceback" not in run.stderr
    assert run.stdout == ""


def test_a_level_that_is_not_a_number_is_refused(xingji, tmp_path: Path) -> None:
    run = xingji("rate", write_input(tmp_path), "--next", "五星")
    assert run.returncode == 2
    assert "应为整数" in run.stderr and "Traceback" not in run.stderr
