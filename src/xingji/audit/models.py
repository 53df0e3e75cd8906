"""The audit log (审计日志): append-only entries chained by SHA-256.

Each entry records who (``actor``, ``actor_name``) did what (``action``, a
namespaced code such as ``organization.created``) to which object
(``object_type``, ``object_id``, ``object_repr``), with the object's values
before and after. The chain and its hash are defined in
``xingji.audit.chain``; entries are written only by
``xingji.audit.services.audit_log``.

Append-only is enforced three times over: the model refuses to save an
existing entry or to delete one; on PostgreSQL a trigger refuses UPDATE and
DELETE on the table (migration ``0002``); and whatever gets past both — a
database superuser disabling the trigger, a SQLite file edited by hand — is
found by ``xingji audit verify``, and a truncation of the tail by comparing
the head hash printed on public notices and exports.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit entry."""


class AuditEntry(models.Model):
    sequence = models.PositiveBigIntegerField("序号", unique=True, editable=False)
    created_at = models.DateTimeField("时间", editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # An actor with history is deactivated, never deleted: deleting would
        # have to rewrite (or orphan) the entries that name the actor.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
        editable=False,
    )
    actor_name = models.CharField("操作人（记录时）", max_length=200, editable=False)
    action = models.CharField("操作", max_length=100, db_index=True, editable=False)
    object_type = models.CharField("对象类型", max_length=100, editable=False)
    object_id = models.CharField("对象编号", max_length=64, editable=False)
    object_repr = models.CharField("对象", max_length=200, editable=False)
    before = models.JSONField("修改前", null=True, blank=True, editable=False)
    after = models.JSONField("修改后", null=True, blank=True, editable=False)
    previous_hash = models.CharField("前一条的哈希", max_length=64, unique=True, editable=False)
    hash = models.CharField("哈希", max_length=64, unique=True, editable=False)

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["sequence"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_entry_object")]
        constraints = [
            models.CheckConstraint(condition=models.Q(sequence__gte=1), name="audit_entry_sequence_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("审计记录只能追加，不能修改")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("审计记录只能追加，不能删除")


class ChainLock(models.Model):
    """One row, locked (``SELECT … FOR UPDATE``) by every append to the chain.

    Appends must be serialized: each needs the hash of the entry before it.
    Locking the latest entry instead would not do — while one transaction
    waits for that lock, another appends a newer entry, and the waiter would
    wake up holding a stale head. A fixed row has no such race.
    """

    id = models.PositiveSmallIntegerField("编号", primary_key=True, default=1)

    class Meta:
        verbose_name = "审计链锁"
        verbose_name_plural = "审计链锁"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_chainlock_single_row")]

    def __str__(self) -> str:
        return "审计链锁"
