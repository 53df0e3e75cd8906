"""The rated do not score themselves: every kind of record × every role × own / child / parent organization.

The tree of ``tests/conftest.py``, plus 财政局第一支部's own child (FIN-1-A) so that the branch secretary has
a "child" too. Each role acts on an organization of its own node ("own"), one strictly below ("child"), one
above ("parent", not visible: 404). Records that add points (commendations, innovations) entered by the rated
organization itself are claims (申报, 待确认) that a superior confirms; every other record is entered, changed
and deleted only by the issuer above (a superior; the inspection group for criticism notices), and never by
anyone below the level that owns it. A refusal writes nothing and no audit entry.

Each expectation is written out in a table, not derived from the code under test.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tests.factories import OrganizationFactory, UserFactory
from tests.records.conftest import PDF
from tests.records.factories import FACTORIES
from tests.records.test_services import creation_data
from xingji.accounts.models import Role
from xingji.audit.models import AuditEntry
from xingji.records.models import (
    Absence,
    Attachment,
    Commendation,
    CriticismNotice,
    DisciplinaryAction,
    Innovation,
    MemberViolation,
    RecordStatus,
)
from xingji.records.services import attachment_add, record_confirm, record_create, record_delete, record_update

MODELS = [Commendation, Innovation, CriticismNotice, DisciplinaryAction, MemberViolation, Absence]
POSITIVE = {Commendation, Innovation}
ROLES = ["office", "reviewer", "secretary", "inspector"]
RELATIONS = ["own", "child", "parent"]

OK, CLAIM, FORBIDDEN, MISSING = "confirmed", "claim", 403, 404

# (role, relation) -> (outcome for a record that adds points, for one that takes points away); the inspector's
# criticism notices are the exception noted below.
CREATE = {
    ("office", "own"): (CLAIM, FORBIDDEN),
    ("office", "child"): (OK, OK),
    ("reviewer", "own"): (CLAIM, FORBIDDEN),
    ("reviewer", "child"): (OK, OK),
    ("reviewer", "parent"): (MISSING, MISSING),
    ("secretary", "own"): (CLAIM, FORBIDDEN),
    # a branch secretary is nobody's superior, even with a branch below it
    ("secretary", "child"): (FORBIDDEN, FORBIDDEN),
    ("secretary", "parent"): (MISSING, MISSING),
    ("inspector", "own"): (FORBIDDEN, FORBIDDEN),
    ("inspector", "child"): (FORBIDDEN, FORBIDDEN),
    ("inspector", "parent"): (MISSING, MISSING),
}
#: The inspection group records the criticism notices of its visits below its node.
INSPECTOR_CRITICISMS = {("inspector", "child"): OK}

# Changing (update and delete) an existing record, by where it came from:
# "above": entered and confirmed by a level above the actor's node; "level": by the actor's own node;
# "claim": a claim (待确认) entered by the record's organization itself (records that add points only).
# (role, relation, origin) -> (outcome for a record that adds points, for one that takes points away).
CHANGE = {
    ("office", "own", "level"): (FORBIDDEN, FORBIDDEN),
    ("office", "own", "claim"): (OK, None),
    ("office", "child", "level"): (OK, OK),
    ("office", "child", "claim"): (OK, None),
    ("reviewer", "own", "above"): (FORBIDDEN, FORBIDDEN),
    ("reviewer", "own", "level"): (FORBIDDEN, FORBIDDEN),
    ("reviewer", "own", "claim"): (OK, None),
    # nobody changes or deletes a record issued above them
    ("reviewer", "child", "above"): (FORBIDDEN, FORBIDDEN),
    ("reviewer", "child", "level"): (OK, OK),
    ("reviewer", "child", "claim"): (OK, None),
    ("reviewer", "parent", "above"): (MISSING, MISSING),
    ("reviewer", "parent", "level"): (MISSING, MISSING),
    ("reviewer", "parent", "claim"): (MISSING, None),
    ("secretary", "own", "above"): (FORBIDDEN, FORBIDDEN),
    ("secretary", "own", "level"): (FORBIDDEN, FORBIDDEN),
    ("secretary", "own", "claim"): (OK, None),
    ("secretary", "child", "above"): (FORBIDDEN, FORBIDDEN),
    ("secretary", "child", "level"): (FORBIDDEN, FORBIDDEN),
    ("secretary", "child", "claim"): (FORBIDDEN, None),
    ("secretary", "parent", "above"): (MISSING, MISSING),
    ("secretary", "parent", "level"): (MISSING, MISSING),
    ("secretary", "parent", "claim"): (MISSING, None),
    ("inspector", "own", "above"): (FORBIDDEN, FORBIDDEN),
    ("inspector", "own", "level"): (FORBIDDEN, FORBIDDEN),
    ("inspector", "own", "claim"): (FORBIDDEN, None),
    ("inspector", "child", "above"): (FORBIDDEN, FORBIDDEN),
    ("inspector", "child", "level"): (FORBIDDEN, FORBIDDEN),
    ("inspector", "child", "claim"): (FORBIDDEN, None),
    ("inspector", "parent", "above"): (MISSING, MISSING),
    ("inspector", "parent", "level"): (MISSING, MISSING),
    ("inspector", "parent", "claim"): (MISSING, None),
}
#: A criticism notice the inspection group's own level entered below it: the group may correct it.
INSPECTOR_CRITICISM_CHANGES = {("inspector", "child", "level"): OK}

# Confirming a claim (with its attachment): only a superior of the claiming organization.
CONFIRM = {
    ("office", "own"): FORBIDDEN,
    ("office", "child"): OK,
    ("reviewer", "own"): FORBIDDEN,
    ("reviewer", "child"): OK,
    ("reviewer", "parent"): MISSING,
    ("secretary", "own"): FORBIDDEN,
    ("secretary", "child"): FORBIDDEN,
    ("secretary", "parent"): MISSING,
    ("inspector", "own"): FORBIDDEN,
    ("inspector", "child"): FORBIDDEN,
    ("inspector", "parent"): MISSING,
}


@pytest.fixture
def world(tree, office_user, reviewer, secretary, inspector):
    below_branch = OrganizationFactory(name="财政局第一支部下属小组", code="FIN-1-A", parent=tree.finance_1)
    tree.refreshed()
    users = {"office": office_user, "reviewer": reviewer, "secretary": secretary, "inspector": inspector}
    places = {
        # role -> {relation: organization}; the node above each (for records entered "above")
        "office": {"own": tree.root, "child": tree.finance_1},
        "reviewer": {"own": tree.finance, "child": tree.finance_1, "parent": tree.root},
        "secretary": {"own": tree.finance_1, "child": below_branch, "parent": tree.finance},
        "inspector": {"own": tree.finance, "child": tree.finance_1, "parent": tree.root},
    }
    above = {"office": None, "reviewer": tree.root, "secretary": tree.finance, "inspector": tree.root}
    return users, places, above


def cases(table, *, positive_only=False):
    found = []
    for model in MODELS:
        if positive_only and model not in POSITIVE:
            continue
        for key in table:
            found.append(pytest.param(model, *key, id=f"{model.__name__}-{'-'.join(key)}"))
    return found


def written() -> tuple:
    """Everything a records service could have written."""
    return (
        [list(model.objects.order_by("pk").values()) for model in MODELS],
        list(Attachment.objects.order_by("pk").values_list("pk", flat=True)),
        AuditEntry.objects.count(),
    )


def assert_refused(expected, action) -> None:
    before = written()
    with pytest.raises(Http404 if expected == MISSING else PermissionDenied):
        action()
    assert written() == before


def expected_creation(model, role, relation):
    if model is CriticismNotice and (role, relation) in INSPECTOR_CRITICISMS:
        return INSPECTOR_CRITICISMS[(role, relation)]
    positive, negative = CREATE[(role, relation)]
    return positive if model in POSITIVE else negative


@pytest.mark.parametrize(("model", "role", "relation"), cases(CREATE))
def test_who_may_enter_a_record(world, model, role, relation):
    users, places, _ = world
    actor, organization = users[role], places[role][relation]
    expected = expected_creation(model, role, relation)
    data = creation_data(model, organization)

    if expected in (FORBIDDEN, MISSING):
        assert_refused(expected, lambda: record_create(model=model, data=data, actor=actor))
        return

    entries = AuditEntry.objects.count()
    record = record_create(model=model, data=data, actor=actor)

    record.refresh_from_db()
    assert record.status == (RecordStatus.CLAIMED if expected == CLAIM else RecordStatus.CONFIRMED)
    assert record.entered_by_organization_id == actor.organization_id
    assert record.confirmed_by_organization_id == (actor.organization_id if expected == OK else None)
    assert AuditEntry.objects.count() == entries + 1


def existing(model, organization, origin, actor, above):
    """A stored record of ``organization`` as it came from ``origin`` (no audit entry)."""
    if origin == "claim":
        return FACTORIES[model](
            organization=organization, status=RecordStatus.CLAIMED, entered_by_organization=organization
        )
    level = actor.organization if origin == "level" else above
    return FACTORIES[model](
        organization=organization,
        status=RecordStatus.CONFIRMED,
        entered_by_organization=level,
        confirmed_by_organization=level,
    )


def expected_change(model, role, relation, origin):
    if model is CriticismNotice and (role, relation, origin) in INSPECTOR_CRITICISM_CHANGES:
        return INSPECTOR_CRITICISM_CHANGES[(role, relation, origin)]
    positive, negative = CHANGE[(role, relation, origin)]
    return positive if model in POSITIVE else negative


def change_cases():
    return [case for case in cases(CHANGE) if expected_change(case.values[0], *case.values[1:]) is not None]


@pytest.mark.parametrize(("model", "role", "relation", "origin"), change_cases())
def test_who_may_change_a_record(world, model, role, relation, origin):
    users, places, above = world
    actor = users[role]
    record = existing(model, places[role][relation], origin, actor, above[role])
    expected = expected_change(model, role, relation, origin)

    if expected in (FORBIDDEN, MISSING):
        assert_refused(expected, lambda: record_update(record=record, data={"date": date(2025, 4, 2)}, actor=actor))
        return

    updated = record_update(record=record, data={"date": date(2025, 4, 2)}, actor=actor)

    assert model.objects.get(pk=record.pk).date == date(2025, 4, 2)
    entry = AuditEntry.objects.get()
    # the audit chain keeps the old value beside the new one
    assert (entry.action, entry.before, entry.after) == (
        f"{model.audit_name}.updated",
        {"date": "2025-05-20"},
        {"date": "2025-04-02"},
    )
    assert updated.status == record.status


@pytest.mark.parametrize(("model", "role", "relation", "origin"), change_cases())
def test_who_may_delete_a_record(world, model, role, relation, origin):
    users, places, above = world
    actor = users[role]
    record = existing(model, places[role][relation], origin, actor, above[role])
    expected = expected_change(model, role, relation, origin)

    if expected in (FORBIDDEN, MISSING):
        assert_refused(expected, lambda: record_delete(record=record, actor=actor))
        return

    record_delete(record=record, actor=actor)

    assert not model.objects.filter(pk=record.pk).exists()
    entry = AuditEntry.objects.get()
    assert entry.action == f"{model.audit_name}.deleted"
    assert entry.before["date"] == "2025-05-20" and entry.before["status"] == record.status


@pytest.mark.parametrize(("model", "role", "relation"), cases(CONFIRM, positive_only=True))
def test_who_may_confirm_a_claim(world, model, role, relation):
    users, places, _ = world
    actor, organization = users[role], places[role][relation]
    claim = existing(model, organization, "claim", actor, None)
    attachment_add(record=claim, upload=io.BytesIO(PDF), name="证书.pdf", size=len(PDF), actor=None)
    expected = CONFIRM[(role, relation)]

    if expected in (FORBIDDEN, MISSING):
        assert_refused(expected, lambda: record_confirm(record=claim, actor=actor))
        return

    entries = AuditEntry.objects.count()
    record_confirm(record=claim, actor=actor)

    claim.refresh_from_db()
    assert (claim.status, claim.confirmed_by, claim.confirmed_by_organization_id) == (
        RecordStatus.CONFIRMED,
        actor,
        actor.organization_id,
    )
    entry = AuditEntry.objects.order_by("sequence").last()
    assert AuditEntry.objects.count() == entries + 1
    assert entry.action == f"{model.audit_name}.confirmed"
    assert (entry.before["status"], entry.after["status"]) == ("claimed", "confirmed")


def test_the_matrix_names_every_role_and_relation():
    # a (role, relation) forgotten in a table would silently test nothing
    keys = {(role, relation) for role in ROLES for relation in RELATIONS} - {("office", "parent")}
    assert set(CREATE) == keys
    assert set(CONFIRM) == keys
    origins = {"above", "level", "claim"}
    change_keys = {(role, relation, origin) for role, relation in keys for origin in origins} - {
        ("office", "own", "above"),
        ("office", "child", "above"),
    }
    assert set(CHANGE) == change_keys


def test_an_inspector_with_a_writing_role_elsewhere_is_still_read_only(tree):
    # an inspection group at the root: read-only everywhere except the criticism notices of its visits
    inspector = UserFactory(username="root-inspector", organization=tree.root, role=Role.INSPECTOR)

    with pytest.raises(PermissionDenied):
        record_create(model=Commendation, data=creation_data(Commendation, tree.finance_1), actor=inspector)
    notice = record_create(model=CriticismNotice, data=creation_data(CriticismNotice, tree.finance_1), actor=inspector)

    assert notice.status == RecordStatus.CONFIRMED
