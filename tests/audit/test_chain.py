"""The audit chain: appended in the caller's transaction, verifiable, tamper-evident."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.db.transaction import TransactionManagementError

from tests.factories import OrganizationFactory
from xingji.audit.chain import GENESIS_HASH, check_chain, head_hash, verify_chain
from xingji.audit.models import AppendOnlyError, AuditEntry
from xingji.audit.services import audit_log
from xingji.orgs.services import organization_update

on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL refuses the edit (trigger)")
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


def append(count: int, organization, actor=None) -> list[AuditEntry]:
    return [
        audit_log(actor=actor, action="test.appended", obj=organization, before={"n": n}, after={"n": n + 1})
        for n in range(count)
    ]


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="财政局第一支部", code="FIN-1")


def test_it_starts_from_the_genesis_hash(db):
    assert head_hash() == GENESIS_HASH
    assert check_chain().count == 0
    assert verify_chain() is None


def test_it_verifies_an_intact_chain_and_reports_its_head(organization):
    entries = append(5, organization)

    status = check_chain()

    assert [entry.sequence for entry in entries] == [1, 2, 3, 4, 5]
    assert entries[0].previous_hash == GENESIS_HASH
    assert (status.count, status.head_hash, status.broken) == (5, entries[-1].hash, None)
    assert head_hash() == entries[-1].hash


def test_it_hashes_the_previous_hash_and_the_canonical_json_of_the_entry(organization, superuser):
    entry = audit_log(
        actor=superuser,
        action="organization.updated",
        obj=organization,
        before={"name": "旧名"},
        after={"name": "新名"},
    )
    stored = AuditEntry.objects.get(pk=entry.pk)

    content = {
        "sequence": 1,
        "created_at": stored.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
        "actor_id": superuser.pk,
        "actor_name": f"{superuser.name}（admin）",
        "action": "organization.updated",
        "object_type": "orgs.organization",
        "object_id": str(organization.pk),
        "object_repr": "财政局第一支部（FIN-1）",
        "before": {"name": "旧名"},
        "after": {"name": "新名"},
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert "旧名" in canonical  # not escaped to \\uXXXX
    assert stored.hash == hashlib.sha256((GENESIS_HASH + canonical).encode("utf-8")).hexdigest()


def test_it_stores_decimals_and_dates_as_strings_that_hash_the_same_when_read_back(organization):
    audit_log(
        actor=None,
        action="score.changed",
        obj=organization,
        before={"score": Decimal("86.50"), "day": date(2026, 6, 1)},
        after={"ratio": 0.72, "stars": 4},
    )

    stored = AuditEntry.objects.get()
    assert stored.before == {"score": "86.50", "day": "2026-06-01"}
    assert stored.after == {"ratio": "0.72", "stars": 4}
    assert verify_chain() is None


def test_it_refuses_to_change_or_delete_an_entry_through_the_model(organization):
    entry = append(1, organization)[0]

    entry.action = "test.rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert AuditEntry.objects.get().action == "test.appended"


def test_it_refuses_an_action_code_without_a_namespace(organization):
    with pytest.raises(ValueError):
        audit_log(actor=None, action="created", obj=organization, before=None, after=None)


@on_sqlite
def test_it_names_the_entry_edited_behind_the_applications_back(organization):
    entries = append(5, organization)
    AuditEntry.objects.filter(pk=entries[2].pk).update(after={"n": 999})

    broken = verify_chain()

    assert broken is not None
    assert broken.entry.sequence == 3
    assert broken.reason == "内容与哈希不符（记录被改动）"


@on_sqlite
def test_it_names_the_entry_after_one_deleted_behind_the_applications_back(organization):
    entries = append(5, organization)
    AuditEntry.objects.filter(pk=entries[1].pk)._raw_delete(AuditEntry.objects.db)

    broken = verify_chain()

    assert broken.entry.sequence == 3
    assert "序号应为 2" in broken.reason


@on_sqlite
def test_it_names_an_entry_whose_hash_was_recomputed_after_an_edit(organization):
    from xingji.audit.chain import entry_hash

    entries = append(4, organization)
    forged = AuditEntry.objects.get(pk=entries[1].pk)
    forged.after = {"n": 999}
    AuditEntry.objects.filter(pk=forged.pk).update(after=forged.after, hash=entry_hash(forged))

    broken = verify_chain()

    assert broken.entry.sequence == 3
    assert broken.reason.startswith("前一条的哈希与前一条记录不符")


def test_the_verify_command_prints_ok_with_the_head_hash(organization):
    append(3, organization)
    out = StringIO()

    call_command("audit", "verify", stdout=out)

    assert out.getvalue().startswith("OK")
    assert head_hash() in out.getvalue()
    assert "3 条" in out.getvalue()


def test_the_head_command_prints_the_head_hash(organization):
    append(2, organization)
    out = StringIO()

    call_command("audit", "head", stdout=out)

    assert out.getvalue().strip() == head_hash()


@on_sqlite
def test_the_verify_command_names_the_first_broken_entry_and_fails(organization):
    entries = append(4, organization)
    AuditEntry.objects.filter(pk=entries[1].pk).update(actor_name="别人")

    with pytest.raises(CommandError) as error:
        call_command("audit", "verify")

    assert error.value.returncode == 1
    assert "#2" in str(error.value)
    assert f"id {entries[1].pk}" in str(error.value)


def test_a_failed_change_leaves_no_entry(organization, superuser):
    with pytest.raises(ValueError):
        organization_update(organization=organization, data={"name": "新名", "nonsense": 1}, actor=superuser)

    with pytest.raises(RuntimeError), transaction.atomic():
        organization_update(organization=organization, data={"name": "新名"}, actor=superuser)
        raise RuntimeError("the caller's transaction fails after the service")

    assert AuditEntry.objects.count() == 0
    organization.refresh_from_db()
    assert organization.name == "财政局第一支部"


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_append_outside_a_transaction():
    organization = OrganizationFactory()

    with pytest.raises(TransactionManagementError):
        audit_log(actor=None, action="test.appended", obj=organization, before=None, after=None)

    assert AuditEntry.objects.count() == 0


@on_postgresql
def test_postgresql_refuses_to_update_or_delete_an_entry(organization):
    append(2, organization)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET action = 'test.rewritten'")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(sequence=1).update(action="test.rewritten")

    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["test.appended", "test.appended"]
    assert verify_chain() is None


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_appends_keep_one_unbroken_chain():
    organization = OrganizationFactory()
    threads_count = 10
    start = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def append_one(n: int) -> None:
        try:
            start.wait(timeout=10)
            with transaction.atomic():
                audit_log(actor=None, action="test.concurrent", obj=organization, before=None, after={"thread": n})
        except BaseException as error:  # noqa: BLE001 - reported to the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=append_one, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    entries = list(AuditEntry.objects.order_by("sequence"))
    assert [entry.sequence for entry in entries] == list(range(1, threads_count + 1))
    assert sorted(entry.after["thread"] for entry in entries) == list(range(threads_count))
    assert len({entry.previous_hash for entry in entries}) == threads_count
    assert verify_chain() is None
