from django.urls import path

from xingji.orgs import history_views, views

app_name = "orgs"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("export.xlsx", views.organization_export, name="export"),
    path("import/<slug:kind>/", views.import_view, name="import"),
    path("import/<slug:kind>/template.xlsx", views.import_template, name="import_template"),
    path("<int:pk>/", views.organization_detail, name="detail"),
    path("<int:pk>/new/", views.organization_create_view, name="create"),
    path("<int:pk>/edit/", views.organization_edit, name="edit"),
    path("<int:pk>/move/", views.organization_move_view, name="move"),
    path("<int:pk>/election/", views.election_edit, name="election"),
    path("<int:pk>/merge/", history_views.organization_merge_view, name="merge"),
    path("<int:pk>/dissolve/", history_views.organization_dissolve_view, name="dissolve"),
    path("<int:pk>/members/", views.member_list_view, name="member_list"),
    path("<int:pk>/members/export.xlsx", views.member_export, name="member_export"),
    path("<int:pk>/members/new/", views.member_create_view, name="member_create"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/delete/", views.member_delete_view, name="member_delete"),
]
