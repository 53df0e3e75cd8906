"""The back office's pages of evidence records: scoped, read-only for inspectors, writing through services."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType

from xingji.accounts.access import can_write, visible_members
from xingji.accounts.admin_scope import ScopedAdmin, adopt, has_scope
from xingji.records.access import enterable_organizations, may_change, may_enter, visible_attachments, visible_records
from xingji.records.kinds import KINDS, RecordKind
from xingji.records.models import RECORD_MODELS, Attachment
from xingji.records.services import attachment_delete, record_create, record_delete, record_update

#: Shown, never edited, on a record's change page: the claim's review (confirmed through the records pages).
REVIEW_DISPLAY = ("status", "entered_by_organization", "confirmed_by_organization", "confirmed_at", "review_note")


class RecordAdmin(ScopedAdmin):
    """The admin of one kind of record (``kind`` set by ``register``)."""

    kind: RecordKind
    list_select_related = ["organization"]
    date_hierarchy = "date"
    ordering = ["-date", "-id"]
    list_per_page = 100

    def scoped_queryset(self, request):
        return visible_records(request.user, self.model).select_related("organization")

    def get_fields(self, request, obj=None):
        fields = list(self.kind.fields)
        return [*fields, *REVIEW_DISPLAY] if obj is not None else fields

    def get_readonly_fields(self, request, obj=None):
        return list(REVIEW_DISPLAY) if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "member":
            kwargs["queryset"] = visible_members(request.user).order_by("organization__path", "name")
        if db_field.name == "organization":
            # Where the user may enter such a record: never a deduction of the user's own organization.
            kwargs["queryset"] = enterable_organizations(request.user, self.model).order_by("path")
            return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and may_enter(request.user, self.model)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_change(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = has_scope(request.user) and can_write(request.user)
        return allowed and (obj is None or may_change(request.user, obj))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = record_create(
                model=self.model, data={name: data[name] for name in self.kind.fields}, actor=request.user
            )
        else:
            changes = {name: data[name] for name in form.changed_data if name in self.kind.fields}
            saved = record_update(record=obj, data=changes, actor=request.user)
        adopt(obj, saved)

    def delete_model(self, request, obj):
        record_delete(record=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for record in queryset:
            record_delete(record=record, actor=request.user)


def register(kind: RecordKind) -> None:
    fields = [name for name in kind.list_fields if name != "category"]
    options = {
        "kind": kind,
        "list_display": ["date", "organization", *fields[:4]],
        "list_filter": [*kind.filter_fields],
        "search_fields": ["organization__name", "organization__code", *kind.search_fields],
    }
    admin.site.register(kind.model, type(f"{kind.model.__name__}Admin", (RecordAdmin,), options))


for record_kind in KINDS.values():
    register(record_kind)


class RecordTypeFilter(admin.RelatedFieldListFilter):
    """The kinds of record this admin lists attachments of, by their Chinese names.

    Django's default offers every content type of the project (sessions,
    lockouts, TOTP devices …), none of which an attachment here points at.
    """

    def field_choices(self, field, request, model_admin):
        content_types = ContentType.objects.get_for_models(*RECORD_MODELS)
        return [(content_types[model].pk, model._meta.verbose_name) for model in RECORD_MODELS]


ATTACHMENT_ADMIN_FIELDS = (
    "record_type",
    "object_id",
    "original_name",
    "file_type",
    "size",
    "sha256",
    "uploaded_at",
    "uploaded_by",
)


@admin.register(Attachment)
class AttachmentAdmin(ScopedAdmin):
    """Attachments are added on the record's page (type and size checked); here they are listed and deleted."""

    list_display = ["original_name", "record_type", "object_id", "file_type", "size", "uploaded_at"]
    list_filter = ["file_type", ("content_type", RecordTypeFilter)]
    search_fields = ["original_name", "sha256"]
    ordering = ["-uploaded_at", "-id"]
    fields = ATTACHMENT_ADMIN_FIELDS
    readonly_fields = ATTACHMENT_ADMIN_FIELDS
    organization_fields = ()

    def scoped_queryset(self, request):
        return visible_attachments(request.user).select_related("content_type")

    @admin.display(description="记录类型", ordering="content_type")
    def record_type(self, attachment):
        model = attachment.content_type.model_class()
        return model._meta.verbose_name if model is not None else str(attachment.content_type)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return has_scope(request.user) and can_write(request.user)

    def delete_model(self, request, obj):
        attachment_delete(attachment=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for attachment in queryset:
            attachment_delete(attachment=attachment, actor=request.user)
