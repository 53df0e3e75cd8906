from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from xingji.accounts.access import can_read_audit
from xingji.audit.models import AuditEntry


def pretty_json(value) -> str:
    if value is None:
        return "—"
    return format_html("<pre>{}</pre>", json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True))


ENTRY_FIELDS = (
    "sequence",
    "created_at",
    "actor",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before_pretty",
    "after_pretty",
    "previous_hash",
    "hash",
)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read-only, for the committee office and superusers."""

    list_display = ["sequence", "created_at", "actor_name", "action", "object_type", "object_id", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "actor_name", "object_id", "action"]
    date_hierarchy = "created_at"
    ordering = ["-sequence"]
    list_select_related = ["actor"]
    show_full_result_count = False
    fields = ENTRY_FIELDS
    readonly_fields = ENTRY_FIELDS

    @admin.display(description="修改前")
    def before_pretty(self, entry):
        return pretty_json(entry.before)

    @admin.display(description="修改后")
    def after_pretty(self, entry):
        return pretty_json(entry.after)

    def has_module_permission(self, request):
        return can_read_audit(request.user)

    def has_view_permission(self, request, obj=None):
        return can_read_audit(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
