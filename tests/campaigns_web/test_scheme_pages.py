"""The scheme pages: generated from the TOML, for the shipped schemes and for a campaign's own text."""

from __future__ import annotations

import pytest
from django.urls import reverse

from xingji.rules.describe import condition_text, describe
from xingji.rules.scheme import SchemeError, list_schemes, scheme_path


@pytest.mark.parametrize("scheme_id", [info["id"] for info in list_schemes()])
def test_every_shipped_scheme_describes_its_bands_and_rules(scheme_id):
    text = scheme_path(scheme_id).read_text(encoding="utf-8")
    description = describe(text)
    titles = [section.title for section in description.sections]
    assert titles[0] == "星级与分数段"
    bands = description.sections[0].rows
    assert [row[0] for row in bands] == [level.name for level in reversed(description.scheme.levels)]
    assert len(description.scheme.level_rules) == sum(
        len(section.rows) for section in description.sections if section.title == "降级、封顶与否决"
    )
    assert len(description.scheme.quotas) == sum(
        len(section.rows) for section in description.sections if section.title == "比例限制"
    )


def test_the_default_scheme_reads_as_its_clauses():
    description = describe(scheme_path("anyang-2017").read_text(encoding="utf-8"))
    sections = {section.title: section for section in description.sections}
    assert sections["星级与分数段"].rows[0] == ("五星级", "90.00 分及以上", "100.00 分（含）")
    assert sections["星级与分数段"].rows[1] == ("四星级", "80.00 分及以上", "90.00 分以下")
    assert ("五(三)1", "所获表彰及署名文章：市级 3 分，省级 5 分，国家级 8 分；只计最高一项", "—") in sections[
        "加分"
    ].rows
    assert ("五(三)4", "满意率低于60%时 5 分", "—") in sections["扣分"].rows
    assert ("五(三)6", "无故缺席或逾期任务次数达到3", "降低 1 个等级", "年底评定") in sections["降级、封顶与否决"].rows
    assert ("五(三)5", "未按期换届且非有特殊理由或请示", "至多定为四星级", "各次评定") in sections[
        "降级、封顶与否决"
    ].rows
    assert ("五(二)", "五星级不超过10%", "五星级不超过参评组织的 10%", "四星级") in sections["比例限制"].rows
    assert [row[:2] for row in sections["综合得分的权重"].rows] == [
        ("自评", "20%"),
        ("党员群众测评", "30%"),
        ("上级考评", "50%"),
    ]


def test_conditions_read_as_phrases_with_groups_in_brackets():
    assert condition_text({"fact": "satisfaction", "op": "<", "value": 0.6}) == "满意率低于60%"
    assert condition_text({"fact": "newly_founded", "op": "==", "value": True}) == "新成立"
    assert condition_text({"fact": "newly_founded", "op": "==", "value": False}) == "非新成立"
    nested = {
        "all": [
            {"fact": "absences", "op": ">=", "value": 3},
            {
                "any": [
                    {"fact": "commendations", "op": "contains", "value": "city"},
                    {"not": {"fact": "category", "op": "==", "value": "村"}},
                ]
            },
        ]
    }
    assert condition_text(nested) == "无故缺席或逾期任务次数达到3且（所获表彰及署名文章含市级或并非组织类别为村）"


def test_a_scheme_with_an_error_is_refused_with_its_key():
    text = scheme_path("anyang-2017").read_text(encoding="utf-8").replace("max_score = 60", "max_score = 65", 1)
    with pytest.raises(SchemeError) as refused:
        describe(text, source="local.toml")
    assert refused.value.source == "local.toml"
    assert "重叠" in refused.value.reason


def test_the_pages_show_the_shipped_schemes_and_the_campaigns_own(client, campaign, secretary):
    client.force_login(secretary)
    listing = client.get(reverse("campaigns:schemes")).content.decode()
    for info in list_schemes():
        assert reverse("campaigns:scheme", args=[info["id"]]) in listing
    page = client.get(reverse("campaigns:scheme", args=["anyang-2017"])).content.decode()
    assert "无故缺席或逾期任务次数达到3" in page
    assert "下载方案文件（TOML）" in page
    toml = client.get(reverse("campaigns:scheme_toml", args=["anyang-2017"]))
    assert toml["Content-Type"].startswith("application/toml")
    assert b'id = "anyang-2017"' in toml.content
    own = client.get(reverse("campaigns:campaign_scheme", args=[campaign.pk])).content.decode()
    assert "本次评定保存的方案" in own
    own_toml = client.get(reverse("campaigns:campaign_scheme_toml", args=[campaign.pk]))
    assert own_toml.content.decode() == campaign.scheme_text
    assert client.get(reverse("campaigns:scheme", args=["no-such-scheme"])).status_code == 404


def test_criteria_read_with_the_indicators_shown_and_the_formula_of_a_computed_one():
    anyang = {row[0]: row for row in describe(scheme_path("anyang-2017").read_text(encoding="utf-8")).sections[1].rows}
    assert anyang["2"][4] == "评分时列出：组织生活落实率"
    assert anyang["1"][4] == "—"
    wuxing = describe(scheme_path("wuxing-chuangping").read_text(encoding="utf-8"))
    criteria = {row[0]: row for row in wuxing.sections[1].rows}
    assert criteria["3"][4].startswith("按组织生活落实率计分：达到100%得15分，达到90%得12分")
    assert criteria["3"][4].endswith("（评分细则（组织生活））")
