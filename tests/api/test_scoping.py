"""Every read endpoint × every scope × another subtree: a token sees exactly its node's subtree, with its scopes.

Expectations, as on the web (``tests/web/test_url_auth.py``):

* the right scope, at FIN: 200, every item of FIN's subtree, FIN-1's among them, none of EDU's;
* any other scope alone: 403 ``scope_missing``, and nothing of the data in the answer;
* ``under`` a node of another subtree (EDU from a FIN token) or a missing one: 404, the same answer.
"""

from __future__ import annotations

import pytest

from xingji.api import scopes


def _organizations(item):
    return {item["id"]}


def _of_item(item):
    return {item["organization_id"]}


def _rows(item):
    return {row["organization_id"] for row in item["rows"]}


#: (path, the scope it needs, the organizations an item belongs to, whether ``under`` narrows it)
ENDPOINTS = [
    ("/organizations", "orgs:read", _organizations, True),
    ("/elections", "orgs:read", _of_item, True),
    ("/members", "members:read", _of_item, True),
    *[(f"/records/{kind}", "records:read", _of_item, True) for kind in ("commendations", "innovations", "absences")],
    ("/meetings", "branchwork:read", _of_item, True),
    ("/appraisals", "branchwork:read", _of_item, True),
    ("/dues/payments", "dues:read", _of_item, True),
    ("/campaigns/{campaign}/evaluations", "campaigns:read", _of_item, True),
    ("/star-ledger", "campaigns:read", _of_item, True),
    ("/surveys", "campaigns:read", _of_item, True),
    ("/results", "campaigns:read", _rows, False),
]
IDS = [path for path, *_ in ENDPOINTS]
#: Endpoints whose items every scoped token must find in FIN-1 (the world has one of each).
EMPTY_IN_WORLD = {"/records/innovations", "/records/absences"}


def _path(path, world):
    return path.format(campaign=world["campaign"].pk)


def _subtree(tree, node):
    return {
        organization.pk
        for organization in (tree.root, tree.finance, tree.finance_1, tree.finance_2, tree.education, tree.education_1)
        if organization.path.startswith(node.path)
    }


@pytest.mark.parametrize(("path", "scope", "organizations_of", "narrows"), ENDPOINTS, ids=IDS)
def test_it_lists_exactly_the_subtree_of_the_tokens_node(tree, world, caller, path, scope, organizations_of, narrows):
    # given a token at FIN with the endpoint's scope
    api = caller(tree.finance, [scope])

    # when it lists
    response = api.get(_path(path, world))

    # then it sees FIN's subtree only
    assert response.status_code == 200, response.content
    seen = set().union(*(organizations_of(item) for item in response.json()["items"]))
    assert seen <= _subtree(tree, tree.finance)
    if path not in EMPTY_IN_WORLD:
        assert tree.finance_1.pk in seen
    assert tree.education_1.pk not in seen


REFUSALS = [(path, granted) for path, scope, *_ in ENDPOINTS for granted in sorted(scopes.ALL) if granted != scope]


@pytest.mark.parametrize(("path", "granted"), REFUSALS, ids=[f"{path}-{granted}" for path, granted in REFUSALS])
def test_it_refuses_a_token_without_the_endpoints_scope(tree, caller, path, granted):
    # given a token at the root with every scope but the endpoint's (the scope is checked before anything is read)
    api = caller(tree.root, [granted])

    response = api.get(path.format(campaign=1))

    assert response.status_code == 403
    body = response.json()
    assert body["error"]["code"] == "scope_missing"
    assert "items" not in body


@pytest.mark.parametrize(
    ("path", "scope", "organizations_of", "narrows"),
    [e for e in ENDPOINTS if e[3]],
    ids=[e[0] for e in ENDPOINTS if e[3]],
)
def test_it_answers_404_under_another_subtree_as_for_a_missing_node(
    tree, world, caller, path, scope, organizations_of, narrows
):
    api = caller(tree.finance, [scope])

    other = api.get(_path(path, world), {"under": tree.education.pk})
    missing = api.get(_path(path, world), {"under": 999999})

    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert other.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("path", "scope", "organizations_of", "narrows"),
    [e for e in ENDPOINTS if e[3]],
    ids=[e[0] for e in ENDPOINTS if e[3]],
)
def test_it_narrows_to_a_visible_node_with_under(tree, world, caller, path, scope, organizations_of, narrows):
    api = caller(tree.root, [scope])

    response = api.get(_path(path, world), {"under": tree.education.pk})

    assert response.status_code == 200
    seen = set().union(*(organizations_of(item) for item in response.json()["items"]))
    assert seen <= _subtree(tree, tree.education)
    if path not in EMPTY_IN_WORLD:
        assert seen


def test_a_branch_token_sees_its_own_branch_only(tree, world, caller):
    api = caller(tree.finance_1, [scopes.read("orgs")])

    response = api.get("/organizations")

    assert [item["code"] for item in response.json()["items"]] == ["FIN-1"]
    assert api.get(f"/organizations/{tree.finance.pk}").status_code == 404
    assert api.get(f"/organizations/{tree.finance_1.pk}").json()["code"] == "FIN-1"


def test_it_masks_phones_unless_the_token_has_the_personal_scope(tree, world, caller):
    masked = caller(tree.finance, [scopes.read("members")]).get("/members").json()["items"]
    plain = caller(tree.finance, [scopes.read("members"), scopes.PERSONAL]).get("/members").json()["items"]

    assert [item["phone"] for item in masked] == ["138****5678"]
    assert [item["phone"] for item in plain] == ["13812345678"]


def test_evaluations_carry_every_score_reason_and_clause(tree, world, caller):
    api = caller(tree.finance, [scopes.read("campaigns")])

    items = api.get(f"/campaigns/{world['campaign'].pk}/evaluations", {"under": tree.finance_1.pk}).json()["items"]

    assert len(items) == 1
    assert items[0]["base_score"] == "86.50"
    assert items[0]["criterion_scores"] == [{"part": "self", "criterion_code": "1", "score": "9.50", "comment": ""}]
    assert items[0]["reasons"] == [{"rule": "criticism_working_committee", "clause": "五(三)3", "points": "-3.00"}]


def test_a_campaign_outside_the_tokens_view_is_404(tree, world, caller):
    api = caller(tree.finance, [scopes.read("campaigns")])

    assert api.get("/campaigns/999999/evaluations").status_code == 404


def test_survey_participation_never_shows_a_ballot(tree, world, caller):
    api = caller(tree.finance, [scopes.read("campaigns")])

    items = api.get("/surveys").json()["items"]

    assert items and all(
        set(item)
        == {
            "id",
            "evaluation_id",
            "organization_id",
            "meeting_on",
            "state",
            "member_count",
            "member_participant_count",
            "participation",
            "ballot_count",
            "satisfaction",
            "valid",
            "closed_at",
        }
        for item in items
    )


def test_an_unknown_record_kind_is_404(tree, caller):
    api = caller(tree.finance, [scopes.read("records")])

    response = api.get("/records/nonsense")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
