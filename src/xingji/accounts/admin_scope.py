"""The base of every admin page: querysets and permissions from ``xingji.accounts.access``.

Django's model permissions (groups, ``user_permissions``) are not used: a
user's role and node decide everything, as in the rest of the application.

* A user attached to a node (or a superuser) may view the admin pages of the
  domain models, showing only the objects of the user's subtree. An object
  outside it, or missing, is answered alike ("does not exist").
* A read-only role (inspector) sees the pages read-only; a change it posts
  anyway is refused with 403.
* Saving and deleting go through the services, so every change is audited.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model

from xingji.accounts.access import can_write, visible_organizations


def has_scope(user) -> bool:
    """Whether the user is attached to a node (or is a superuser), so has something to see."""
    return bool(user.is_active and (user.is_superuser or user.organization_id is not None))


def adopt(target: Model, source: Model) -> None:
    """Make the admin's in-memory object the one a service saved (pk, tree fields…)."""
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose queryset must be scoped (``scoped_queryset``) and whose writes use services."""

    #: Foreign keys to organizations offered only within the user's subtree.
    organization_fields: tuple[str, ...] = ("organization",)

    def scoped_queryset(self, request):
        raise NotImplementedError

    def get_queryset(self, request):
        queryset = self.scoped_queryset(request)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def has_module_permission(self, request):
        return has_scope(request.user)

    def has_view_permission(self, request, obj=None):
        return has_scope(request.user)

    def has_add_permission(self, request):
        return has_scope(request.user) and can_write(request.user)

    def has_change_permission(self, request, obj=None):
        return has_scope(request.user) and can_write(request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.organization_fields:
            kwargs["queryset"] = visible_organizations(request.user).order_by("path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
