from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group

from xingji.accounts.access import can_manage_users, visible_organizations, visible_users
from xingji.accounts.admin_scope import adopt
from xingji.accounts.models import User
from xingji.accounts.services import user_change_role, user_create, user_update


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):  # type: ignore[name-defined]  # the stubs omit the form's Meta
        model = User
        fields = ("username", "name", "email", "organization", "role")


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):  # type: ignore[name-defined]  # the stubs omit the form's Meta
        model = User
        fields = (
            "username",
            "password",
            "name",
            "email",
            "organization",
            "role",
            "is_active",
            "is_staff",
            "is_superuser",
        )


# Roles replace Django's groups, which are not used: their page would only mislead.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts, for superusers and the committee office (within its subtree).

    Roles replace Django's groups and per-user permissions, which are not
    offered. Only a superuser may grant admin access or superuser status.
    """

    form = UserEditForm
    add_form = UserCreationForm
    list_display = ["username", "name", "organization", "role", "is_active", "is_staff", "last_login"]
    list_filter = ["role", "is_active", "is_staff", "is_superuser"]
    list_select_related = ["organization"]
    search_fields = ["username", "name", "email"]
    ordering = ["username"]
    filter_horizontal = []
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "username",
                    "name",
                    "email",
                    "organization",
                    "role",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        permissions = ["is_active", "is_staff", "is_superuser"] if request.user.is_superuser else ["is_active"]
        return [
            (None, {"fields": ["username", "password"]}),
            ("个人信息", {"fields": ["name", "email"]}),
            ("所在组织与角色", {"fields": ["organization", "role"]}),
            ("权限", {"fields": permissions}),
            ("重要日期", {"fields": ["last_login", "date_joined"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        # A username is how audit entries and logins name the account: fixed once created.
        return ["username", "last_login", "date_joined"] if obj is not None else []

    def get_queryset(self, request):
        return visible_users(request.user).select_related("organization").order_by(*self.ordering)

    def has_module_permission(self, request):
        return can_manage_users(request.user)

    def has_view_permission(self, request, obj=None):
        return can_manage_users(request.user)

    def has_add_permission(self, request):
        return can_manage_users(request.user)

    def has_change_permission(self, request, obj=None):
        return can_manage_users(request.user)

    def has_delete_permission(self, request, obj=None):
        # Deactivate instead: the audit log names its actors.
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization":
            kwargs["queryset"] = visible_organizations(request.user).order_by("path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = user_create(
                username=data["username"],
                password=data["password1"] if data.get("set_usable_password", True) else None,
                name=data["name"],
                email=data["email"],
                organization=data["organization"],
                role=data["role"],
                actor=request.user,
            )
        else:
            changed = set(form.changed_data)
            saved = obj
            if changed & {"organization", "role", "is_staff", "is_superuser"}:
                saved = user_change_role(
                    user=saved,
                    role=data["role"],
                    organization=data["organization"],
                    is_staff=data.get("is_staff"),
                    is_superuser=data.get("is_superuser"),
                    actor=request.user,
                )
            if changed & {"name", "email", "is_active"}:
                saved = user_update(
                    user=saved,
                    actor=request.user,
                    name=data["name"] if "name" in changed else None,
                    email=data["email"] if "email" in changed else None,
                    is_active=data["is_active"] if "is_active" in changed else None,
                )
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        # No groups or per-user permissions to save.
        pass
