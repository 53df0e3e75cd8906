"""The what-if sandbox (模拟测算，不保存): the same engine call on changed scores and records, nothing written.

The tree and users of ``tests/conftest.py``: FIN-1's evaluation, its secretary, its superiors (FIN's reviewer
and the committee office), FIN's inspector (reads only), FIN-2's secretary and EDU's reviewer (outside).
"""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.campaigns.steps import (
    CODES,
    audit_count,
    evaluate,
    evaluation_of,
    force_evaluated,
    self_evaluate,
    snapshot,
)
from tests.factories import ElectionFactory
from tests.records.factories import AbsenceFactory
from xingji.audit.models import AuditEntry
from xingji.campaigns import sandbox
from xingji.campaigns.models import CriterionScore, Evaluation

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def _url(evaluation: Evaluation) -> str:
    return reverse("campaigns:sandbox", args=[evaluation.pk])


def _form(**changes: str) -> dict[str, str]:
    """The sandbox form as the page sends it: every score field blank (the current scores), then ``changes``."""
    return {**{f"score_{code}": "" for code in CODES}, **changes}


def _written(evaluation: Evaluation) -> tuple:
    """Everything a sandbox run must leave alone: the evaluation's row, its scores, the audit log."""
    row = Evaluation.objects.values().get(pk=evaluation.pk)
    scores = sorted(CriterionScore.objects.values_list("evaluation_id", "part", "criterion_code", "score", "comment"))
    return row, scores, audit_count(), AuditEntry.objects.order_by("-sequence").values_list("pk", flat=True).first()


@pytest.fixture
def evaluated(campaign, tree):
    """FIN-1 scored 9 on every criterion by its superior (90), with three unexcused absences (−9): 81, 四星级."""
    for _ in range(3):
        AbsenceFactory(organization=tree.finance_1)
    return force_evaluated(evaluation_of(campaign, tree.finance_1), score=9)


# --- the selector ----------------------------------------------------------------------------


def test_it_lowers_the_level_and_changes_the_reason_when_a_score_drops(evaluated, reviewer):
    # when criterion 1 is tried at 7 instead of 9
    comparison = sandbox.what_if(evaluation=evaluated, user=reviewer, hypothesis=sandbox.WhatIf(scores={"1": "7"}))

    # then the current rating is the one stored scores give, and the what-if two points lower, a level down
    assert (comparison.current.final_score, comparison.current.level_name) == (Decimal("81.00"), "四星级")
    assert (comparison.what_if.base_score, comparison.what_if.final_score) == (Decimal("88.00"), Decimal("79.00"))
    assert comparison.what_if.level_name == "三星级"
    assert comparison.level_changed and comparison.score_changed
    assert comparison.score_source == "superior"
    assert comparison.scores["1"] == Decimal("7") and comparison.scores["2"] == Decimal("9.00")
    # and the absence cap says so: the same rule, another sentence; nothing appears or disappears
    [change] = comparison.changes
    assert (change.kind, change.rule, change.clause) == ("changed", "absence_cap", "五(三)6")
    assert "现为四星级" in change.before and "现为三星级" in change.after
    assert comparison.what_if.explanation[0] == "基础分88.00分，为各项评定内容得分合计（五(一)）"
    assert comparison.what_if.explanation[-1] == "评定结果：三星级"
    assert "评定结果：三星级" in comparison.new_lines and "评定结果：四星级" not in comparison.new_lines


def test_it_shows_an_added_record_as_a_new_reason_with_its_clause(evaluated, reviewer):
    # when a municipal criticism notice and a national commendation are added
    hypothesis = sandbox.WhatIf(added={"criticism_municipal_committee": "1", "commendation_national": 1})
    comparison = sandbox.what_if(evaluation=evaluated, user=reviewer, hypothesis=hypothesis)

    # then both reasons appear with their clauses and points: 81 − 5 + 8 = 84
    appeared = {change.rule: change for change in comparison.changes if change.kind == "appeared"}
    assert set(appeared) == {"criticism_municipal_committee", "commendation"}
    assert appeared["criticism_municipal_committee"].clause == "五(三)3"
    assert appeared["criticism_municipal_committee"].after == "受市委通报批评1次，扣5分（五(三)3）"
    assert appeared["commendation"].clause == "五(三)1"
    assert "国家级" in appeared["commendation"].after and "加8分" in appeared["commendation"].after
    assert comparison.what_if.final_score == Decimal("84.00")
    reasons = {reason["rule"]: reason for reason in comparison.what_if.reasons}
    assert reasons["criticism_municipal_committee"]["points"] == "-5.00"
    assert reasons["commendation"]["points"] == "8.00"
    # and the facts the engine read are the records' plus the added ones, the current input untouched
    assert comparison.current_input["criticisms"]["municipal_committee"] == 0
    assert comparison.what_if_input["criticisms"]["municipal_committee"] == 1
    assert comparison.what_if_input["commendations"] == ["national"]
    assert comparison.what_if_input["absences"] == comparison.current_input["absences"] == 3


def test_it_adds_every_kind_of_record_where_the_engine_reads_it(evaluated, reviewer):
    added = {kind.key: 1 for kind in sandbox.RECORD_KINDS}
    comparison = sandbox.what_if(evaluation=evaluated, user=reviewer, hypothesis=sandbox.WhatIf(added=added))

    data = comparison.what_if_input
    assert data["commendations"] == ["city", "province", "national"]
    assert data["innovations"] == ["city", "province", "national"]
    assert data["criticisms"] == {"working_committee": 1, "municipal_committee": 1}
    assert data["leader_discipline"] == {"light": 1, "heavy": 1}
    assert (data["member_violations"], data["absences"]) == (1, 4)
    rules = {reason["rule"] for reason in comparison.what_if.reasons}
    assert {
        "commendation",
        "innovation",
        "criticism_working_committee",
        "criticism_municipal_committee",
        "leader_discipline_light",
        "leader_discipline_heavy",
        "member_violation",
        "absence",
    } <= rules


def test_it_takes_no_star_below_half_satisfaction(evaluated, reviewer):
    comparison = sandbox.what_if(
        evaluation=evaluated, user=reviewer, hypothesis=sandbox.WhatIf(satisfaction=Decimal("0.45"))
    )

    assert comparison.what_if.level_name == "不定星级"
    kinds = {change.rule: change.kind for change in comparison.changes}
    assert kinds["low_satisfaction"] == "appeared"
    assert comparison.what_if_input["satisfaction"] == "0.45"
    assert comparison.current_input["satisfaction"] == "0.9200"


def test_it_lifts_the_election_caps_when_the_election_is_taken_as_held(campaign, tree, reviewer):
    # given FIN-1 scored 90 with its election more than a year overdue: at most three stars
    ElectionFactory(organization=tree.finance_1, last_election=date(2020, 1, 1), term_years=3)
    evaluation = force_evaluated(evaluation_of(campaign, tree.finance_1), score=9)

    comparison = sandbox.what_if(evaluation=evaluation, user=reviewer, hypothesis=sandbox.WhatIf(election_held=True))

    assert comparison.current.level_name == "三星级"
    assert comparison.what_if.level_name == "五星级"
    disappeared = {change.rule for change in comparison.changes if change.kind == "disappeared"}
    assert {"election_overdue", "election_overdue_year"} <= disappeared
    assert all(change.after == "" for change in comparison.changes if change.kind == "disappeared")


def test_its_current_rating_is_the_one_the_real_evaluation_stored(campaign, tree, secretary, reviewer):
    # given a real self-evaluation, survey and superior evaluation at 8.5 on every criterion
    AbsenceFactory(organization=tree.finance_1)
    evaluation = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score="8.5")

    comparison = sandbox.what_if(evaluation=evaluation, user=secretary, hypothesis=sandbox.WhatIf())

    assert comparison.current.final_score == evaluation.final_score
    assert comparison.current.level == evaluation.level
    assert comparison.current.reasons == evaluation.reasons
    assert comparison.current.explanation == evaluation.explanation
    assert comparison.what_if == comparison.current and comparison.changes == []


def test_it_starts_from_the_self_scores_before_the_superior_scores(campaign, tree, secretary):
    evaluation = self_evaluate(evaluation_of(campaign, tree.finance_1), secretary, score=8)

    comparison = sandbox.what_if(evaluation=evaluation, user=secretary, hypothesis=sandbox.WhatIf())

    assert comparison.score_source == "self"
    assert comparison.current.base_score == Decimal("80.00")


def test_it_counts_nothing_scored_as_zero(campaign, tree, secretary):
    evaluation = evaluation_of(campaign, tree.finance_1)

    comparison = sandbox.what_if(evaluation=evaluation, user=secretary, hypothesis=sandbox.WhatIf(scores={"3": "10"}))

    assert comparison.score_source == "none"
    assert (comparison.current.final_score, comparison.current.level_name) == (Decimal("0.00"), "不定星级")
    assert comparison.what_if.base_score == Decimal("10.00")


def test_it_refuses_a_score_above_the_maximum_with_the_forms_message_and_writes_nothing(evaluated, reviewer):
    before = _written(evaluated)

    with pytest.raises(ValidationError) as refused:
        sandbox.what_if(
            evaluation=evaluated,
            user=reviewer,
            hypothesis=sandbox.WhatIf(scores={"1": "15", "2": "-1", "3": "x"}, added={"absence": "-1"}),
        )

    assert refused.value.messages == [
        "“1 组织健全”的得分15超过该项满分10.00",
        "“2 制度完善、落实”的得分不能为负数",
        "“3 党组织战斗堡垒作用强”的得分“x”不是数字",
        "“无故缺席会议、培训或未按时完成任务（次）”的新增数量应为0至20之间的整数",
    ]
    assert _written(evaluated) == before


@pytest.mark.parametrize(
    ("added", "message"),
    [
        ({"absence": "21"}, "“无故缺席会议、培训或未按时完成任务（次）”的新增数量应为0至20之间的整数"),
        ({"member_violation": "1.5"}, "“一般党员违法违纪（人次）”的新增数量应为0至20之间的整数"),
        ({"commendation_city": "两"}, "“表彰或署名文章（市级）”的新增数量“两”不是数字"),
        ({"bonus": "1"}, "没有“bonus”这类记录"),
    ],
)
def test_it_refuses_a_count_out_of_bounds(evaluated, reviewer, added, message):
    with pytest.raises(ValidationError) as refused:
        sandbox.what_if(evaluation=evaluated, user=reviewer, hypothesis=sandbox.WhatIf(added=added))
    assert refused.value.messages == [message]


def test_it_refuses_a_satisfaction_outside_zero_to_one(evaluated, reviewer):
    with pytest.raises(ValidationError) as refused:
        sandbox.what_if(evaluation=evaluated, user=reviewer, hypothesis=sandbox.WhatIf(satisfaction=Decimal("1.2")))
    assert refused.value.messages == ["模拟的满意率应在0%至100%之间"]


def test_it_writes_no_row_and_no_audit_entry(evaluated, reviewer, secretary):
    # given the counts and the evaluation's version before
    audit_before = AuditEntry.objects.count()
    version_before = Evaluation.objects.get(pk=evaluated.pk).version
    before = _written(evaluated)

    # when every kind of change is tried, by the selector and by the page
    sandbox.what_if(
        evaluation=evaluated,
        user=reviewer,
        hypothesis=sandbox.WhatIf(
            scores={"1": "1"},
            added={kind.key: 2 for kind in sandbox.RECORD_KINDS},
            satisfaction=Decimal("0.3"),
            election_held=True,
        ),
    )
    client = Client()
    client.force_login(secretary)
    assert client.post(_url(evaluated), _form(score_1="2", add_absence="3", satisfaction="40")).status_code == 200

    # then nothing changed
    assert AuditEntry.objects.count() == audit_before
    assert Evaluation.objects.get(pk=evaluated.pk).version == version_before
    assert _written(evaluated) == before


def test_it_answers_404_outside_the_subtree_and_403_to_a_reader(evaluated, inspector, secretary_2, edu_reviewer):
    with pytest.raises(PermissionDenied):
        sandbox.what_if(evaluation=evaluated, user=inspector, hypothesis=sandbox.WhatIf())
    for outsider in (secretary_2, edu_reviewer):
        with pytest.raises(Http404):
            sandbox.what_if(evaluation=evaluated, user=outsider, hypothesis=sandbox.WhatIf())


# --- the page --------------------------------------------------------------------------------


def test_the_page_shows_the_form_and_the_current_rating(client, evaluated, reviewer):
    client.force_login(reviewer)
    response = client.get(_url(evaluated))

    assert response.status_code == 200
    content = response.content.decode()
    assert "模拟测算（不保存）" in content
    assert 'name="csrfmiddlewaretoken"' in content
    assert 'name="score_1" value="9.00"' in content
    assert 'name="add_criticism_municipal_committee"' in content
    assert "campaigns/sandbox.js" in content
    assert "评定理由没有变化" in content
    assert response.context["comparison"].current.level_name == "四星级"


def test_posting_the_form_without_javascript_renders_the_comparison(client, evaluated, secretary):
    client.force_login(secretary)
    response = client.post(_url(evaluated), _form(score_1="7", add_criticism_municipal_committee="1"))

    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    assert "<form" in content
    assert "星级由四星级变为三星级" in content
    assert "受市委通报批评1次，扣5分（五(三)3）" in content
    assert 'data-rule="criticism_municipal_committee" data-change="appeared"' in content
    # the typed values stay in the form
    assert 'name="score_1" value="7"' in content
    assert 'name="add_criticism_municipal_committee" value="1"' in content


def test_fetch_gets_the_result_partial_only(client, evaluated, reviewer):
    client.force_login(reviewer)
    response = client.post(_url(evaluated), _form(score_1="7"), **FETCH)

    assert response.status_code == 200
    content = response.content.decode()
    assert "<form" not in content and "<html" not in content
    assert "data-what-if-level>三星级<" in content


def test_a_score_above_the_maximum_shows_the_message_and_saves_nothing(client, evaluated, reviewer):
    client.force_login(reviewer)
    before = snapshot(evaluated)

    for extra in ({}, FETCH):
        response = client.post(_url(evaluated), _form(score_1="15"), **extra)
        assert response.status_code == 200
        content = response.content.decode()
        assert "“1 组织健全”的得分15超过该项满分10.00" in html.unescape(content)
        assert "data-what-if-level" not in content
    assert snapshot(evaluated) == before


def test_a_satisfaction_that_is_not_a_number_is_refused_naming_the_field(client, evaluated, reviewer):
    client.force_login(reviewer)
    response = client.post(_url(evaluated), _form(satisfaction="很高"), **FETCH)

    assert "模拟满意率（%）：模拟满意率应为数字，如 55" in html.unescape(response.content.decode())


def test_the_satisfaction_is_typed_as_a_percentage(client, evaluated, reviewer):
    client.force_login(reviewer)
    response = client.post(_url(evaluated), _form(satisfaction="45%"), **FETCH)

    assert response.context["comparison"].what_if.level_name == "不定星级"


def test_the_page_keeps_csrf(evaluated, reviewer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)

    assert client.post(_url(evaluated), _form(score_1="7"), **FETCH).status_code == 403


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("secretary", 200),
        ("reviewer", 200),
        ("office_user", 200),
        ("superuser", 200),
        ("inspector", 403),
        ("secretary_2", 404),
        ("edu_reviewer", 404),
        ("edu_secretary", 404),
    ],
)
def test_who_may_use_the_sandbox(request, client, evaluated, who, status):
    client.force_login(request.getfixturevalue(who))
    before = _written(evaluated)

    assert client.get(_url(evaluated)).status_code == status
    assert client.post(_url(evaluated), _form(score_1="7"), **FETCH).status_code == status
    assert _written(evaluated) == before


def test_an_anonymous_visitor_is_sent_to_log_in(client, evaluated):
    response = client.get(_url(evaluated))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_evaluation_page_links_to_the_sandbox_for_its_users_only(client, evaluated, secretary, reviewer, inspector):
    link = f'href="{_url(evaluated)}"'
    for user, shown in ((secretary, True), (reviewer, True), (inspector, False)):
        client.force_login(user)
        content = client.get(reverse("campaigns:evaluation", args=[evaluated.pk])).content.decode()
        assert (link in content) is shown
        assert ("模拟测算（不保存）" in content) is shown


def test_the_page_issues_as_many_queries_for_many_records_as_for_one(client, evaluated, reviewer, tree):
    client.force_login(reviewer)
    client.get(_url(evaluated))  # the session and the site's caches warmed
    with CaptureQueriesContext(connection) as few:
        client.post(_url(evaluated), _form(score_1="7"))
    for _ in range(10):
        AbsenceFactory(organization=tree.finance_1)
    with CaptureQueriesContext(connection) as many:
        response = client.post(_url(evaluated), _form(score_1="7"))

    assert response.context["comparison"].current_input["absences"] == 13
    assert len(many.captured_queries) == len(few.captured_queries)
