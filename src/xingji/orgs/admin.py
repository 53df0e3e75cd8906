from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils import timezone

from xingji.accounts.access import can_write, visible_elections, visible_members, visible_organizations
from xingji.accounts.admin_scope import ScopedAdmin, adopt, has_scope
from xingji.orgs.models import Election, Member, Organization
from xingji.orgs.services import (
    BRANCH_TYPES,
    MEMBER_UPDATABLE_FIELDS,
    ORGANIZATION_UPDATABLE_FIELDS,
    check_accepts_members,
    check_can_have_children,
    check_move,
    election_record,
    member_create,
    member_delete,
    member_update,
    organization_create,
    organization_move,
    organization_update,
)


class OrganizationAdminForm(forms.ModelForm):
    parent = forms.ModelChoiceField(
        Organization.objects.none(), required=False, label="上级组织", help_text="留空表示顶级组织（仅超级用户可设）"
    )

    class Meta:
        model = Organization
        fields = ["parent", "name", "code", "org_type", "category", "founded", "is_active"]

    #: Set by ``OrganizationAdmin.get_form`` for the requesting user.
    parent_choices = Organization.objects.none()
    parent_required = True
    movable = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.movable:
            del self.fields["parent"]
            return
        choices = self.parent_choices.exclude(org_type__in=BRANCH_TYPES)
        if self.instance.pk is not None:
            choices = choices.exclude(path__startswith=self.instance.path)
            self.initial.setdefault("parent", Organization.objects.get_parent(self.instance))
        self.fields["parent"].queryset = choices.order_by("path")
        self.fields["parent"].required = self.parent_required

    def clean_parent(self):
        parent = self.cleaned_data["parent"]
        if parent is not None:
            if self.instance.pk is not None:
                check_move(self.instance, parent)
            else:
                check_can_have_children(parent)
        return parent


@admin.register(Organization)
class OrganizationAdmin(ScopedAdmin):
    form = OrganizationAdminForm
    list_display = ["indented_name", "code", "org_type", "category", "is_active", "member_count"]
    list_filter = ["org_type", "category", "is_active"]
    search_fields = ["name", "code"]
    ordering = ["path"]
    list_per_page = 100

    def scoped_queryset(self, request):
        return visible_organizations(request.user)

    def can_move(self, request, obj) -> bool:
        """Whether the user may choose another parent: not for its own node, nor a root (superusers aside)."""
        if request.user.is_superuser:
            return True
        parent = Organization.objects.get_parent(obj)
        return parent is not None and visible_organizations(request.user).filter(pk=parent.pk).exists()

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self.can_move(request, obj):
            return [name for name in fields if name != "parent"]
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(
            form.__name__,
            (form,),
            {
                "parent_choices": visible_organizations(request.user),
                "parent_required": not request.user.is_superuser,
                "movable": obj is None or self.can_move(request, obj),
            },
        )

    @admin.display(description="名称", ordering="path")
    def indented_name(self, organization):
        return "　" * (organization.depth - 1) + organization.name

    @admin.display(description="党员数", ordering="own_members")
    def member_count(self, organization):
        return organization.own_members

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = organization_create(
                name=data["name"],
                code=data["code"],
                org_type=data["org_type"],
                category=data["category"],
                founded=data["founded"],
                is_active=data["is_active"],
                parent=data.get("parent"),
                actor=request.user,
            )
        else:
            changes = {name: data[name] for name in form.changed_data if name in ORGANIZATION_UPDATABLE_FIELDS}
            saved = organization_update(organization=obj, data=changes, actor=request.user)
            if "parent" in form.changed_data:  # the field is absent for the user's own node
                saved = organization_move(organization=saved, new_parent=data["parent"], actor=request.user)
        adopt(obj, saved)


class MemberAdminForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = list(MEMBER_UPDATABLE_FIELDS)

    def clean_organization(self):
        organization = self.cleaned_data["organization"]
        if self.instance.pk is None or organization != self.initial.get("organization"):
            check_accepts_members(organization)
        return organization


@admin.register(Member)
class MemberAdmin(ScopedAdmin):
    form = MemberAdminForm
    list_display = [
        "name",
        "organization",
        "gender",
        "birth_year",
        "joined",
        "status",
        "leadership_position",
        "masked_phone",
    ]
    list_filter = ["status", "leadership_position", "gender"]
    list_select_related = ["organization"]
    search_fields = ["name", "organization__name", "organization__code"]
    ordering = ["organization__path", "id"]
    list_per_page = 100

    def scoped_queryset(self, request):
        return visible_members(request.user).select_related("organization")

    @admin.display(description="联系电话")
    def masked_phone(self, member):
        return member.masked_phone

    def has_delete_permission(self, request, obj=None):
        return has_scope(request.user) and can_write(request.user)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = member_create(**{name: data[name] for name in MEMBER_UPDATABLE_FIELDS}, actor=request.user)
        else:
            changes = {name: data[name] for name in form.changed_data if name in MEMBER_UPDATABLE_FIELDS}
            saved = member_update(member=obj, data=changes, actor=request.user)
        adopt(obj, saved)

    def delete_model(self, request, obj):
        member_delete(member=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for member in queryset:
            member_delete(member=member, actor=request.user)


@admin.register(Election)
class ElectionAdmin(ScopedAdmin):
    fields = ["organization", "last_election", "term_years", "postponement_requested", "postponement_approved"]
    list_display = [
        "organization",
        "last_election",
        "term_years",
        "due_date",
        "overdue_days_today",
        "postponement_requested",
        "postponement_approved",
    ]
    list_filter = ["term_years", "postponement_requested", "postponement_approved"]
    list_select_related = ["organization"]
    search_fields = ["organization__name", "organization__code"]
    ordering = ["organization__path"]

    def scoped_queryset(self, request):
        return visible_elections(request.user).select_related("organization")

    def get_readonly_fields(self, request, obj=None):
        # An election record belongs to its organization for good.
        return ["organization"] if obj is not None else []

    @admin.display(description="应换届日期")
    def due_date(self, election):
        return election.due_date

    @admin.display(description="逾期天数")
    def overdue_days_today(self, election):
        return election.overdue_days(timezone.localdate())

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = election_record(
            organization=obj.organization,
            last_election=data["last_election"],
            term_years=data["term_years"],
            postponement_requested=data["postponement_requested"],
            postponement_approved=data["postponement_approved"],
            actor=request.user,
        )
        adopt(obj, saved)
