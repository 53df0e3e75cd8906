"""``xingji rate``: every input format in, every output format out, the template.

The same five organizations are written as JSON, as CSV with the contract's
English field names, as CSV with the template's Chinese headers (UTF-8 with
and without BOM, GBK) and as an XLSX workbook with numeric cells; each must
rate to exactly the same result.

The population, by hand (scheme anyang-2017, stage year-end, quota warn):

- JG-001 base 86.5; city + province commendations (+5, only the highest);
  one working-committee criticism (-3) → 88.50, four stars.
- JG-002 criteria 9, 8.5, 9 … 9 = 89.50; city innovation (+3) → 92.50, band
  five; re-election overdue without excuse → capped at four stars.
- JG-003 components 92/88/85 weighted 0.2/0.3/0.5 = 87.30; satisfaction 55 %
  (-5) → 82.30, four stars.
- JG-004 base 89.995 → 90.00 (half-up), five stars.
- JG-005 base 70, satisfaction 45 % (-5) → 65.00, band two; below 50 % → no star.

Five-star ceiling floor(0.1·5) = 0 → JG-004 would move (warn); one-star
floor ceil(0.1·5) = 1 is met by JG-005.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

NAMES = {
    "JG-001": "市财政局机关第一支部",
    "JG-002": "市发改委机关第一支部",
    "JG-003": "市教育局机关第一支部",
    "JG-004": "市公安局机关第一支部",
    "JG-005": "市民政局机关第一支部",
}
CRITERIA = {"1": 9, "2": 8.5, "3": 9, "4": 9, "5": 9, "6": 9, "7": 9, "8": 9, "9": 9, "10": 9}

POPULATION = {
    "organizations": [
        {
            "id": "JG-001",
            "name": NAMES["JG-001"],
            "base_score": 86.5,
            "satisfaction": 0.72,
            "commendations": ["city", "province"],
            "criticisms": {"working_committee": 1},
        },
        {
            "id": "JG-002",
            "name": NAMES["JG-002"],
            "criteria": CRITERIA,
            "satisfaction": 0.9,
            "innovations": ["city"],
            "election": {"overdue": True, "excused": False, "overdue_days": 30},
        },
        {
            "id": "JG-003",
            "name": NAMES["JG-003"],
            "components": {"self": 92, "survey": 88, "superior": 85},
            "satisfaction": 0.55,
        },
        {"id": "JG-004", "name": NAMES["JG-004"], "base_score": 89.995},
        {"id": "JG-005", "name": NAMES["JG-005"], "base_score": 70, "satisfaction": 0.45},
    ]
}

# The template's Chinese headers of the ten criteria (scheme anyang-2017).
CRITERION_HEADERS = {
    "1": "1.组织健全",
    "2": "2.制度完善、落实",
    "3": "3.党组织战斗堡垒作用强",
    "4": "4.党员模范带头作用好",
    "5": "5.服务形式多样、服务对象满意度高",
    "6": "6.党建引领作用明显，群团工作扎实有效",
    "7": "7.遵章守纪好",
    "8": "8.设施配套齐全",
    "9": "9.落实上级工作坚决、及时、质量高",
    "10": "10.服务意识强、群众基础牢",
}

ENGLISH_HEADER = [
    "id",
    "name",
    "base_score",
    *(f"criteria.{code}" for code in CRITERIA),
    "components.self",
    "components.survey",
    "components.superior",
    "satisfaction",
    "commendations",
    "innovations",
    "criticisms.working_committee",
    "election.overdue",
    "election.excused",
    "election.overdue_days",
]
ENGLISH_ROWS = [
    {
        "id": "JG-001",
        "name": NAMES["JG-001"],
        "base_score": "86.5",
        "satisfaction": "0.72",
        "commendations": "city,province",
        "criticisms.working_committee": "1",
    },
    {
        "id": "JG-002",
        "name": NAMES["JG-002"],
        **{f"criteria.{code}": str(score) for code, score in CRITERIA.items()},
        "satisfaction": "0.9",
        "innovations": "city",
        "election.overdue": "true",
        "election.excused": "false",
        "election.overdue_days": "30",
    },
    {
        "id": "JG-003",
        "name": NAMES["JG-003"],
        "components.self": "92",
        "components.survey": "88",
        "components.superior": "85",
        "satisfaction": "0.55",
    },
    {"id": "JG-004", "name": NAMES["JG-004"], "base_score": "89.995"},
    {"id": "JG-005", "name": NAMES["JG-005"], "base_score": "70", "satisfaction": "0.45"},
]

CHINESE_HEADER = [
    "编号",
    "名称",
    "基础分",
    *CRITERION_HEADERS.values(),
    "自评得分",
    "测评得分",
    "考评得分",
    "满意率",
    "表彰及署名文章",
    "创新推广",
    "市直工委通报批评次数",
    "换届逾期",
    "有特殊理由或请示",
    "换届逾期天数",
]
# As an office types them: percentages, 市级/省级, 是/否.
CHINESE_ROWS = [
    {
        "编号": "JG-001",
        "名称": NAMES["JG-001"],
        "基础分": "86.5",
        "满意率": "72%",
        "表彰及署名文章": "市级、省级",
        "市直工委通报批评次数": "1",
    },
    {
        "编号": "JG-002",
        "名称": NAMES["JG-002"],
        **{CRITERION_HEADERS[code]: str(score) for code, score in CRITERIA.items()},
        "满意率": "90%",
        "创新推广": "市级",
        "换届逾期": "是",
        "有特殊理由或请示": "否",
        "换届逾期天数": "30",
    },
    {"编号": "JG-003", "名称": NAMES["JG-003"], "自评得分": "92", "测评得分": "88", "考评得分": "85", "满意率": "55%"},
    {"编号": "JG-004", "名称": NAMES["JG-004"], "基础分": "89.995"},
    {"编号": "JG-005", "名称": NAMES["JG-005"], "基础分": "70", "满意率": "45%"},
]
# Typed cells, as Excel stores them: floats, integers, booleans.
XLSX_ROWS = [
    {
        "编号": "JG-001",
        "名称": NAMES["JG-001"],
        "基础分": 86.5,
        "满意率": 0.72,
        "表彰及署名文章": "市级,省级",
        "市直工委通报批评次数": 1,
    },
    {
        "编号": "JG-002",
        "名称": NAMES["JG-002"],
        **{CRITERION_HEADERS[code]: score for code, score in CRITERIA.items()},
        "满意率": 0.9,
        "创新推广": "市级",
        "换届逾期": True,
        "有特殊理由或请示": False,
        "换届逾期天数": 30,
    },
    {"编号": "JG-003", "名称": NAMES["JG-003"], "自评得分": 92, "测评得分": 88, "考评得分": 85, "满意率": 0.55},
    {"编号": "JG-004", "名称": NAMES["JG-004"], "基础分": 89.995},
    {"编号": "JG-005", "名称": NAMES["JG-005"], "基础分": 70, "满意率": 0.45},
]

EXPECTED_ORGANIZATIONS = [
    {
        "id": "JG-001",
        "name": NAMES["JG-001"],
        "base_score": "86.50",
        "base_source": "base_score",
        "final_score": "88.50",
        "band_stars": 4,
        "stars": 4,
        "level": "四星级",
        "reasons": [
            {"rule": "commendation", "clause": "五(三)1", "points": "5.00"},
            {"rule": "criticism_working_committee", "clause": "五(三)3", "points": "-3.00"},
        ],
    },
    {
        "id": "JG-002",
        "name": NAMES["JG-002"],
        "base_score": "89.50",
        "base_source": "criteria",
        "final_score": "92.50",
        "band_stars": 5,
        "stars": 4,
        "level": "四星级",
        "reasons": [
            {"rule": "innovation", "clause": "五(三)2", "points": "3.00"},
            {"rule": "election_overdue", "clause": "五(三)5", "effect": "cap", "from": 5, "to": 4},
        ],
    },
    {
        "id": "JG-003",
        "name": NAMES["JG-003"],
        "base_score": "87.30",
        "base_source": "components",
        "final_score": "82.30",
        "band_stars": 4,
        "stars": 4,
        "level": "四星级",
        "reasons": [{"rule": "low_satisfaction", "clause": "五(三)4", "points": "-5.00"}],
    },
    {
        "id": "JG-004",
        "name": NAMES["JG-004"],
        "base_score": "90.00",
        "base_source": "base_score",
        "final_score": "90.00",
        "band_stars": 5,
        "stars": 5,
        "level": "五星级",
        "reasons": [],
    },
    {
        "id": "JG-005",
        "name": NAMES["JG-005"],
        "base_score": "70.00",
        "base_source": "base_score",
        "final_score": "65.00",
        "band_stars": 2,
        "stars": 0,
        "level": "不定星级",
        "reasons": [
            {"rule": "low_satisfaction", "clause": "五(三)4", "points": "-5.00"},
            {"rule": "satisfaction_veto", "clause": "五(三)4", "effect": "set", "from": 2, "to": 0},
        ],
    },
]
EXPECTED_SUMMARY = {
    "count": 5,
    "by_stars": {"0": 1, "1": 0, "2": 0, "3": 0, "4": 3, "5": 1},
    "quota": {
        "mode": "warn",
        "checks": [
            {
                "rule": "five_star_ceiling",
                "clause": "五(二)",
                "label": "五星级不超过10%",
                "bound": "max",
                "levels": [5],
                "share": "0.1",
                "base": {"population": 5, "text": "全部"},
                "rounding": "floor",
                "limit": 0,
                "count_before": 1,
                "count": 1,
                "satisfied": False,
                "would_move": ["JG-004"],
                "ties": [],
            },
            {
                "rule": "one_star_floor",
                "clause": "五(二)",
                "label": "一星级及以下不低于10%",
                "bound": "min",
                "levels": [0, 1],
                "share": "0.1",
                "base": {"population": 5, "text": "全部"},
                "rounding": "ceil",
                "limit": 1,
                "count_before": 1,
                "count": 1,
                "satisfied": True,
                "would_move": [],
                "ties": [],
            },
        ],
    },
}

# The message of every reason, in the order of EXPECTED_ORGANIZATIONS.
EXPECTED_MESSAGES = {
    "JG-001": [
        "当年度党组织或书记受到表彰、发表署名文章2项，以最高的省级为准，加5分（五(三)1）",
        "受市直工委通报批评1次，扣3分（五(三)3）",
    ],
    "JG-002": [
        "党建重大创新被上级认可推广1项，以最高的市级为准，加3分（五(三)2）",
        "无特殊理由、无请示未按期换届，不得定为五星级，由五星级调整为四星级（五(三)5）",
    ],
    "JG-003": ["民主评议满意率55%，低于60%，扣5分（五(三)4）"],
    "JG-004": [],
    "JG-005": [
        "民主评议满意率45%，低于60%，扣5分（五(三)4）",
        "民主评议满意率45%，低于50%，不定星级，由二星级调整为不定星级（五(三)4）",
    ],
}

RESULT_HEADER = ["id", "name", "base_score", "base_source", "final_score", "band_stars", "stars", "level", "reasons"]
RESULT_HEADER_CHINESE = [
    "组织编号",
    "党组织",
    "基础分",
    "基础分来源",
    "最终得分",
    "分数段星级",
    "评定星级",
    "等级",
    "评定理由",
]


def digest(document: dict) -> list[dict]:
    """The contract's fields of each organization, reasons without their sentence."""
    organizations = []
    for organization in document["organizations"]:
        entry = {key: value for key, value in organization.items() if key != "explanation"}
        entry["reasons"] = [
            {key: value for key, value in reason.items() if key != "message"} for reason in organization["reasons"]
        ]
        organizations.append(entry)
    return organizations


def csv_text(header: list[str], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_xlsx(path: Path, header: list[str], rows: list[dict]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "组织"
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(column) for column in header])
    workbook.save(path)


def assert_population_rated(document: dict) -> None:
    assert digest(document) == EXPECTED_ORGANIZATIONS
    assert document["summary"] == EXPECTED_SUMMARY
    assert document["scheme"] == "anyang-2017"
    assert document["stage"] == "year_end"


# ---------------------------------------------------------------------- in


def test_it_rates_json_and_prints_json_to_stdout(xingji, tmp_path):
    # Given the population as a JSON file
    (tmp_path / "orgs.json").write_text(json.dumps(POPULATION, ensure_ascii=False), encoding="utf-8")

    # When it is rated without -o
    run = xingji("rate", "orgs.json")

    # Then the contract's JSON is printed, scores as two-decimal strings
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    document = run.json()
    assert_population_rated(document)
    assert {o["id"]: [r["message"] for r in o["reasons"]] for o in document["organizations"]} == EXPECTED_MESSAGES
    assert document["organizations"][3]["explanation"] == [
        "基础分90.00分，为直接给出的得分",
        "最终得分90.00分，在90.00至100.00分（含100.00分）之间，分数段为五星级（五(二)）",
        "评定结果：五星级",
    ]
    assert list(tmp_path.iterdir()) == [tmp_path / "orgs.json"]


def test_it_rates_csv_with_english_field_names(xingji, tmp_path):
    # Given the population as CSV with the contract's dotted field names, plain UTF-8
    (tmp_path / "orgs.csv").write_bytes(csv_text(ENGLISH_HEADER, ENGLISH_ROWS).encode("utf-8"))

    # When it is rated
    run = xingji("rate", "orgs.csv")

    # Then the result is the same as from JSON
    assert run.returncode == 0, run.stderr
    assert_population_rated(run.json())


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"], ids=["utf8-with-bom", "utf8-without-bom", "gbk"])
def test_it_rates_csv_with_the_template_chinese_headers_in_each_office_encoding(xingji, tmp_path, encoding):
    # Given the same population with the template's Chinese headers, saved as Excel
    # (UTF-8 with BOM, GBK) or LibreOffice (UTF-8 without BOM) would save it
    content = csv_text(CHINESE_HEADER, CHINESE_ROWS).encode(encoding)
    if encoding == "gbk":
        with pytest.raises(UnicodeDecodeError):
            content.decode("utf-8")
    assert content.startswith(b"\xef\xbb\xbf") is (encoding == "utf-8-sig")
    (tmp_path / "组织.csv").write_bytes(content)

    # When it is rated
    run = xingji("rate", "组织.csv")

    # Then every encoding gives the same result as the JSON file
    assert run.returncode == 0, run.stderr
    assert_population_rated(run.json())


def test_it_rates_xlsx_with_numeric_cells(xingji, tmp_path):
    # Given an Excel workbook with float, integer and boolean cells (89.995 as a float)
    write_xlsx(tmp_path / "组织.xlsx", CHINESE_HEADER, XLSX_ROWS)
    sheet = openpyxl.load_workbook(tmp_path / "组织.xlsx").active
    assert sheet.cell(row=5, column=3).value == 89.995
    assert sheet.cell(row=5, column=3).data_type == "n"

    # When it is rated
    run = xingji("rate", "组织.xlsx")

    # Then 89.995 rounds half-up to 90.00 (five stars) and all else is as from JSON
    assert run.returncode == 0, run.stderr
    document = run.json()
    assert_population_rated(document)
    assert (document["organizations"][3]["final_score"], document["organizations"][3]["stars"]) == ("90.00", 5)


# --------------------------------------------------------------------- out


def test_it_writes_json_to_the_output_file_when_asked(xingji, tmp_path):
    # Given the population as JSON
    (tmp_path / "orgs.json").write_text(json.dumps(POPULATION), encoding="utf-8")

    # When it is rated once to stdout and once to -o out.json
    printed = xingji("rate", "orgs.json")
    written = xingji("rate", "orgs.json", "-o", "out.json")

    # Then the file holds exactly what stdout held, stdout stays empty, stderr says where it went
    assert written.returncode == 0, written.stderr
    assert written.stdout == ""
    assert written.stderr == (
        "已评定 5 个组织（五星级 1，四星级 3，三星级 0，二星级 0，一星级 0，不定星级 1），结果写入 out.json\n"
    )
    document = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert document == printed.json()
    assert_population_rated(document)


def test_it_writes_csv_with_chinese_headers_when_the_output_ends_in_csv(xingji, tmp_path):
    # Given the population as JSON
    (tmp_path / "orgs.json").write_text(json.dumps(POPULATION), encoding="utf-8")

    # When it is rated to -o out.csv
    run = xingji("rate", "orgs.json", "-o", "out.csv")

    # Then out.csv has one row per organization under the Chinese headers the XLSX has,
    # the base score's source named in Chinese, the scores with two decimals
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == RESULT_HEADER_CHINESE
    assert [row[:5] for row in rows[1:]] == [
        ["JG-001", NAMES["JG-001"], "86.50", "直接给出", "88.50"],
        ["JG-002", NAMES["JG-002"], "89.50", "各项评分合计", "92.50"],
        ["JG-003", NAMES["JG-003"], "87.30", "加权综合", "82.30"],
        ["JG-004", NAMES["JG-004"], "90.00", "直接给出", "90.00"],
        ["JG-005", NAMES["JG-005"], "70.00", "直接给出", "65.00"],
    ]
    assert rows[1][5:] == ["4", "4", "四星级", "；".join(EXPECTED_MESSAGES["JG-001"])]


def test_it_writes_csv_with_the_json_field_names_when_headers_en_is_asked(xingji, tmp_path):
    # Given the population as JSON
    (tmp_path / "orgs.json").write_text(json.dumps(POPULATION), encoding="utf-8")

    # When it is rated to -o out.csv --headers en (for a program to read)
    run = xingji("rate", "orgs.json", "-o", "out.csv", "--headers", "en")

    # Then out.csv has one row per organization with the JSON field names as headers
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows == [
        RESULT_HEADER,
        [
            "JG-001",
            NAMES["JG-001"],
            "86.50",
            "base_score",
            "88.50",
            "4",
            "4",
            "四星级",
            "；".join(EXPECTED_MESSAGES["JG-001"]),
        ],
        [
            "JG-002",
            NAMES["JG-002"],
            "89.50",
            "criteria",
            "92.50",
            "5",
            "4",
            "四星级",
            "；".join(EXPECTED_MESSAGES["JG-002"]),
        ],
        [
            "JG-003",
            NAMES["JG-003"],
            "87.30",
            "components",
            "82.30",
            "4",
            "4",
            "四星级",
            "；".join(EXPECTED_MESSAGES["JG-003"]),
        ],
        ["JG-004", NAMES["JG-004"], "90.00", "base_score", "90.00", "5", "5", "五星级", ""],
        [
            "JG-005",
            NAMES["JG-005"],
            "70.00",
            "base_score",
            "65.00",
            "2",
            "0",
            "不定星级",
            "；".join(EXPECTED_MESSAGES["JG-005"]),
        ],
    ]


def test_it_writes_xlsx_when_the_output_ends_in_xlsx(xingji, tmp_path):
    # Given the population as JSON
    (tmp_path / "orgs.json").write_text(json.dumps(POPULATION), encoding="utf-8")

    # When it is rated to -o out.xlsx
    run = xingji("rate", "orgs.json", "-o", "out.xlsx")

    # Then the workbook has the results, the reasons and the summary, with Chinese headers
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    workbook = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert workbook.sheetnames == ["评定结果", "评定依据", "汇总"]
    results = [list(row) for row in workbook["评定结果"].iter_rows(values_only=True)]
    assert results == [
        RESULT_HEADER_CHINESE,
        ["JG-001", NAMES["JG-001"], 86.5, "直接给出", 88.5, 4, 4, "四星级", "；".join(EXPECTED_MESSAGES["JG-001"])],
        ["JG-002", NAMES["JG-002"], 89.5, "各项评分合计", 92.5, 5, 4, "四星级", "；".join(EXPECTED_MESSAGES["JG-002"])],
        ["JG-003", NAMES["JG-003"], 87.3, "加权综合", 82.3, 4, 4, "四星级", "；".join(EXPECTED_MESSAGES["JG-003"])],
        ["JG-004", NAMES["JG-004"], 90.0, "直接给出", 90.0, 5, 5, "五星级", None],
        ["JG-005", NAMES["JG-005"], 70.0, "直接给出", 65.0, 2, 0, "不定星级", "；".join(EXPECTED_MESSAGES["JG-005"])],
    ]
    reasons = [list(row) for row in workbook["评定依据"].iter_rows(values_only=True)]
    assert reasons == [
        ["组织编号", "党组织", "规则", "条款", "分值", "效果", "说明"],
        ["JG-001", NAMES["JG-001"], "commendation", "五(三)1", 5.0, None, EXPECTED_MESSAGES["JG-001"][0]],
        [
            "JG-001",
            NAMES["JG-001"],
            "criticism_working_committee",
            "五(三)3",
            -3.0,
            None,
            EXPECTED_MESSAGES["JG-001"][1],
        ],
        ["JG-002", NAMES["JG-002"], "innovation", "五(三)2", 3.0, None, EXPECTED_MESSAGES["JG-002"][0]],
        [
            "JG-002",
            NAMES["JG-002"],
            "election_overdue",
            "五(三)5",
            None,
            "五星级→四星级",
            EXPECTED_MESSAGES["JG-002"][1],
        ],
        ["JG-003", NAMES["JG-003"], "low_satisfaction", "五(三)4", -5.0, None, EXPECTED_MESSAGES["JG-003"][0]],
        ["JG-005", NAMES["JG-005"], "low_satisfaction", "五(三)4", -5.0, None, EXPECTED_MESSAGES["JG-005"][0]],
        [
            "JG-005",
            NAMES["JG-005"],
            "satisfaction_veto",
            "五(三)4",
            None,
            "二星级→不定星级",
            EXPECTED_MESSAGES["JG-005"][1],
        ],
    ]
    summary = [list(row) for row in workbook["汇总"].iter_rows(values_only=True)]
    assert summary[:8] == [
        ["评定方案", "安阳市直机关基层服务型党组织星级创建（2017）"] + [None] * 5,
        ["组织总数", 5] + [None] * 5,
        ["五星级", 1] + [None] * 5,
        ["四星级", 3] + [None] * 5,
        ["三星级", 0] + [None] * 5,
        ["二星级", 0] + [None] * 5,
        ["一星级", 0] + [None] * 5,
        ["不定星级", 1] + [None] * 5,
    ]
    assert summary[-2:] == [
        ["五星级不超过10%", "全部5个组织（向下取整）", "上限", 0, 1, "否", "JG-004"],
        ["一星级及以下不低于10%", "全部5个组织（向上取整）", "下限", 1, 1, "是", None],
    ]


# ---------------------------------------------------------------- template

# The template's example row, rated: components 92/88/85 → 87.30; +5 (市级,省级),
# +3 (市级 innovation), -3 (one working-committee criticism), -5 (one heavy
# discipline), -4 (two member violations), -3 (one absence) → 80.30, four
# stars; overdue re-election without excuse caps at four (no change).
TEMPLATE_EXAMPLE_RATED = {
    "id": "JG-001",
    "name": "市财政局机关第一支部",
    "base_score": "87.30",
    "base_source": "components",
    "final_score": "80.30",
    "band_stars": 4,
    "stars": 4,
    "level": "四星级",
    "reasons": [
        {"rule": "commendation", "clause": "五(三)1", "points": "5.00"},
        {"rule": "innovation", "clause": "五(三)2", "points": "3.00"},
        {"rule": "criticism_working_committee", "clause": "五(三)3", "points": "-3.00"},
        {"rule": "leader_discipline_heavy", "clause": "五(三)3", "points": "-5.00"},
        {"rule": "member_violation", "clause": "五(三)3", "points": "-4.00"},
        {"rule": "absence", "clause": "五(三)6", "points": "-3.00"},
        {"rule": "election_overdue", "clause": "五(三)5", "effect": "cap", "from": 4, "to": 4},
    ],
}


def test_it_writes_an_xlsx_template_that_it_can_read_back(xingji, tmp_path):
    # Given nothing but a file name
    # When the template is asked for
    written = xingji("rate", "--template", "模板.xlsx")

    # Then the first sheet has Chinese headers and a filled example row
    assert written.returncode == 0, written.stderr
    assert written.stdout == "已写出模板：模板.xlsx\n"
    sheet = openpyxl.load_workbook(tmp_path / "模板.xlsx").worksheets[0]
    header, example = [list(row) for row in sheet.iter_rows(min_row=1, max_row=2, values_only=True)]
    assert header[:4] == ["编号", "名称", "类别", "基础分"]
    assert set(CHINESE_HEADER) <= set(header)
    filled = dict(zip(header, example, strict=True))
    assert (filled["编号"], filled["名称"], filled["满意率"], filled["表彰及署名文章"]) == (
        "JG-001",
        "市财政局机关第一支部",
        0.72,
        "市级,省级",
    )
    assert sheet.max_row == 2

    # And the template, example row kept, rates as it is
    rated = xingji("rate", "模板.xlsx")
    assert rated.returncode == 0, rated.stderr
    assert digest(rated.json()) == [TEMPLATE_EXAMPLE_RATED]


def test_it_writes_a_csv_template_that_it_can_read_back(xingji, tmp_path):
    # When the CSV template is asked for
    written = xingji("rate", "--template", "template.csv")

    # Then it has the Chinese header row and the example row
    assert written.returncode == 0, written.stderr
    with open(tmp_path / "template.csv", encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert len(rows) == 2
    header, example = rows
    assert header[:4] == ["编号", "名称", "类别", "基础分"]
    assert set(CHINESE_HEADER) <= set(header)
    filled = dict(zip(header, example, strict=True))
    assert (filled["编号"], filled["满意率"], filled["换届逾期"]) == ("JG-001", "0.72", "是")

    # And it rates exactly as the XLSX template does
    rated = xingji("rate", "template.csv")
    assert rated.returncode == 0, rated.stderr
    assert digest(rated.json()) == [TEMPLATE_EXAMPLE_RATED]


def test_it_refuses_a_template_of_another_type(xingji, tmp_path):
    # When a template is asked for as .txt
    run = xingji("rate", "--template", "模板.txt")

    # Then it fails and writes nothing
    assert run.returncode == 2
    assert run.stderr == "错误：模板.txt：模板应为 .xlsx 或 .csv 文件\n"
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------- text that Excel misreads


def test_it_keeps_a_name_that_starts_with_an_equals_sign_as_text_in_xlsx(xingji, tmp_path):
    # Given an organization whose name starts with "=" (as a pasted or hostile name may)
    name = '=HYPERLINK("http://example.com","市财政局机关第一支部")'
    (tmp_path / "orgs.json").write_text(
        json.dumps({"organizations": [{"id": "JG-001", "name": name, "base_score": 86.5}]}), encoding="utf-8"
    )

    # When it is rated to XLSX
    run = xingji("rate", "orgs.json", "-o", "out.xlsx")

    # Then the name cells hold the name as text, not a formula Excel would evaluate
    assert run.returncode == 0, run.stderr
    workbook = openpyxl.load_workbook(tmp_path / "out.xlsx")
    cell = workbook["评定结果"]["B2"]
    assert (cell.value, cell.data_type) == (name, "s")


def test_it_writes_xlsx_for_a_name_with_a_control_character_or_refuses_it_cleanly(xingji, tmp_path):
    # Given a name pasted from Word with a line break (vertical tab, \x0b) in it
    (tmp_path / "orgs.json").write_text(
        json.dumps({"organizations": [{"id": "JG-001", "name": "市财政局\x0b机关第一支部", "base_score": 86.5}]}),
        encoding="utf-8",
    )

    # When it is rated to XLSX
    run = xingji("rate", "orgs.json", "-o", "out.xlsx")

    # Then it either writes a readable workbook or refuses, naming the organization and the
    # field, without a traceback and without a file
    assert "Traceback" not in run.stderr
    assert run.returncode in (0, 2), run.stderr
    if run.returncode == 0:
        sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["评定结果"]
        assert sheet["A2"].value == "JG-001"
        assert sheet["B2"].value.startswith("市财政局")
    else:
        assert "JG-001" in run.stderr
        assert "name" in run.stderr
        assert not (tmp_path / "out.xlsx").exists()


def test_it_marks_a_formula_like_name_as_text_in_csv(xingji, tmp_path):
    # Given an organization whose name starts with "=" and one whose id starts with "-"
    (tmp_path / "orgs.json").write_text(
        json.dumps(
            {
                "organizations": [
                    {"id": "JG-001", "name": "=1+1", "base_score": 86.5},
                    {"id": "-2", "name": "市审计局机关支部", "base_score": 70},
                ]
            }
        ),
        encoding="utf-8",
    )

    # When it is rated to CSV
    run = xingji("rate", "orgs.json", "-o", "out.csv")

    # Then both cells carry Excel's text mark and the scores stay numbers
    assert run.returncode == 0, run.stderr
    rows = list(csv.reader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8-sig"))))
    assert rows[1][:3] == ["JG-001", "'=1+1", "86.50"]
    assert rows[2][:3] == ["'-2", "市审计局机关支部", "70.00"]
