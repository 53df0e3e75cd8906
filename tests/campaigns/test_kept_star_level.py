"""Each organization's current star level, kept by the database from its star ledger whichever way a line is
written: the latest line by effective date, then by id (``selectors.current_level``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db import connection, transaction

from xingji.campaigns import kept
from xingji.campaigns.models import StarLedgerEntry
from xingji.campaigns.selectors import current_level
from xingji.common.bulk import insert_rows
from xingji.orgs.models import Organization


def line(organization, level: int, on: date, approver) -> StarLedgerEntry:
    return StarLedgerEntry.objects.create(
        organization=organization,
        level=level,
        level_name=f"{level}星",
        effective_on=on,
        approving_body="市直工委工委会",
        reason="评定",
        approver=approver,
    )


def kept_level(organization) -> int | None:
    return Organization.objects.get(pk=organization.pk).star_level


def test_it_follows_the_latest_line_by_date_then_by_id(tree, office_user):
    assert kept_level(tree.finance_1) is None  # never rated

    line(tree.finance_1, 3, date(2025, 7, 1), office_user)
    assert kept_level(tree.finance_1) == 3

    line(tree.finance_1, 1, date(2024, 7, 1), office_user)  # an older line recorded later changes nothing
    assert kept_level(tree.finance_1) == 3

    line(tree.finance_1, 4, date(2025, 7, 1), office_user)  # same day: the later line
    assert kept_level(tree.finance_1) == 4 == current_level(tree.finance_1)
    assert kept_level(tree.finance_2) is None


def test_a_line_removed_or_redated_moves_the_level_to_the_line_now_latest(tree, office_user):
    older = line(tree.finance_1, 2, date(2024, 7, 1), office_user)
    newer = line(tree.finance_1, 5, date(2025, 7, 1), office_user)

    newer.effective_on = date(2023, 7, 1)
    newer.save()
    assert kept_level(tree.finance_1) == 2

    older.delete()
    assert kept_level(tree.finance_1) == 5
    newer.delete()
    assert kept_level(tree.finance_1) is None


def test_a_line_moved_to_another_organization_changes_both(tree, office_user):
    entry = line(tree.finance_1, 4, date(2025, 7, 1), office_user)
    line(tree.finance_2, 1, date(2024, 7, 1), office_user)

    entry.organization = tree.finance_2
    entry.save()

    assert (kept_level(tree.finance_1), kept_level(tree.finance_2)) == (None, 4)


def test_lines_written_in_bulk_as_the_history_import_writes_them(tree, office_user):
    names = ["organization_id", "level", "level_name", "effective_on", "approving_body", "reason", "approver_id"]
    names.append("recorded_at")
    rows = [
        (
            organization.pk,
            level,
            f"{level}星",
            on,
            "市直工委",
            "历史台账",
            office_user.pk,
            datetime(2026, 1, 1, tzinfo=UTC),
        )
        for organization, level, on in [
            (tree.finance_1, 2, date(2023, 7, 1)),
            (tree.finance_1, 3, date(2024, 7, 1)),
            (tree.education_1, 1, date(2024, 7, 1)),
        ]
    ]
    with transaction.atomic():
        insert_rows(StarLedgerEntry, names, rows)

    assert (kept_level(tree.finance_1), kept_level(tree.education_1)) == (3, 1)
    StarLedgerEntry.objects.filter(organization=tree.finance_1).update(level=0)
    assert kept_level(tree.finance_1) == 0


def test_install_recomputes_after_a_trigger_was_lost(tree, office_user):
    line(tree.finance_1, 3, date(2025, 7, 1), office_user)
    assert kept.STAR_LEVEL.install(connection) is False
    on = " ON campaigns_starledgerentry" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER campaigns_star_level_insert" + on)
    line(tree.finance_2, 2, date(2025, 7, 1), office_user)
    assert kept_level(tree.finance_2) is None  # the trigger is gone

    assert kept.STAR_LEVEL.install(connection) is True

    assert kept.STAR_LEVEL.installed(connection) == set(kept.STAR_LEVEL.triggers)
    assert (kept_level(tree.finance_1), kept_level(tree.finance_2)) == (3, 2)
