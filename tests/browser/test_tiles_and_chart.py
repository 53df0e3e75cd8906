"""The statistic tiles and the survey chart as a browser lays them out: visible, in their boxes, nothing overlapping.

Measured on a desktop and on a phone: each tile's box holds its label and
its figure and meets no other tile; every question of the survey chart has
its label drawn, and no two of the chart's texts overlap.
"""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_roles_in_browser import log_in
from tests.campaigns.conftest import campaign  # noqa: F401  (fixture)
from tests.campaigns.steps import evaluate, evaluation_of

PHONE = {"width": 375, "height": 740}
VIEWPORTS = pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
#: Sub-pixel rounding: boxes that share an edge may meet by less than this.
TOLERANCE = 0.5


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] + a["width"] - TOLERANCE > b["x"]
        and b["x"] + b["width"] - TOLERANCE > a["x"]
        and a["y"] + a["height"] - TOLERANCE > b["y"]
        and b["y"] + b["height"] - TOLERANCE > a["y"]
    )


def inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - TOLERANCE
        and inner["y"] >= outer["y"] - TOLERANCE
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + TOLERANCE
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + TOLERANCE
    )


def check_tiles(page: Page, selector: str, labels: list[str]) -> None:
    tiles = page.locator(f"{selector} .tile")
    expect(tiles).to_have_count(len(labels))
    boxes = []
    for index, label in enumerate(labels):
        tile = tiles.nth(index)
        expect(tile).to_be_visible()
        expect(tile.locator(".tile-label")).to_have_text(label)
        box = tile.bounding_box()
        assert box is not None and box["width"] > 40 and box["height"] > 30, (label, box)
        for part in (".tile-label", ".tile-value"):
            part_box = tile.locator(part).bounding_box()
            assert part_box is not None and part_box["height"] > 0 and inside(part_box, box), (label, part)
        assert tile.evaluate("node => node.scrollWidth <= node.clientWidth + 1"), label
        boxes.append(box)
    for (first, a), (second, b) in itertools.combinations(zip(labels, boxes, strict=True), 2):
        assert not overlap(a, b), (first, second)


@VIEWPORTS
def test_the_evaluation_page_lays_out_its_tiles(new_page, viewport, tree, campaign, secretary, reviewer):  # noqa: F811
    fin_1 = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score=8.5)
    page = new_page(viewport)
    log_in(page, reviewer.username)
    page.goto(f"/campaigns/evaluations/{fin_1.pk}/")
    labels = page.locator("#evaluation-tiles .tile-label").all_inner_texts()
    assert "最终得分" in labels and len(labels) == 5
    check_tiles(page, "#evaluation-tiles", labels)
    expect(page.locator("#evaluation-tiles")).to_contain_text("85.00")


@VIEWPORTS
def test_the_survey_chart_draws_every_label_without_overlap(new_page, viewport, tree, campaign, secretary, reviewer):  # noqa: F811
    # given FIN-1's closed survey: eleven questions (the overall one and one per criterion)
    fin_1 = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score=8)
    session = fin_1.survey_sessions.order_by("-id").first()
    names = ["总体评价", *[f"{item['code']}. {item['name']}" for item in session.questions["criteria"]]]
    errors = []
    page = new_page(viewport)
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, secretary.username)

    # when the secretary opens the session's results
    page.goto(f"/surveys/sessions/{session.pk}/")

    # then the session's tiles are laid out, the chart replaces the table, and every question is labelled
    check_tiles(page, "#session-tiles", ["参与率", "满意率", "测评得分率", "测评票"])
    expect(page.locator("#survey-chart svg")).to_have_count(1)
    expect(page.locator("#survey-chart-fallback")).to_be_hidden()
    texts = page.locator("#survey-chart svg text")
    expect(texts.first).to_be_visible()
    boxes = texts.evaluate_all(
        """nodes => nodes
            .filter(node => node.textContent.trim() && node.getAttribute("opacity") !== "0")
            .map(node => { const r = node.getBoundingClientRect();
                           return {text: node.textContent, x: r.x, y: r.y, width: r.width, height: r.height}; })
            .filter(box => box.width > 0 && box.height > 0)"""
    )
    drawn = "".join(box["text"] for box in boxes).replace(" ", "")
    for name in names:
        assert name.replace(" ", "") in drawn, name
    for a, b in itertools.combinations(boxes, 2):
        assert not overlap(a, b), (a["text"], b["text"])
    chart = page.locator("#survey-chart").bounding_box()
    assert chart is not None
    for box in boxes:
        assert inside(box, chart), box["text"]
    assert errors == []
