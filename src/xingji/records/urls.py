"""URLs of the records pages, included by the project under ``records/``.

``<kind>`` is a slug of ``xingji.records.kinds.KINDS``: commendations,
innovations, criticisms, discipline, violations, absences.
"""

from django.urls import path

from xingji.records import views

app_name = "records"

urlpatterns = [
    path("", views.index, name="index"),
    path("facts/", views.facts_view, name="facts"),
    path("<slug:kind>/", views.record_list_view, name="list"),
    path("<slug:kind>/new/", views.record_create_view, name="create"),
    path("<slug:kind>/export/", views.record_export, name="export"),
    path("<slug:kind>/import/", views.record_import, name="import"),
    path("<slug:kind>/template/", views.record_template, name="template"),
    path("<slug:kind>/<int:pk>/", views.record_detail_view, name="detail"),
    path("<slug:kind>/<int:pk>/edit/", views.record_edit_view, name="edit"),
    path("<slug:kind>/<int:pk>/delete/", views.record_delete_view, name="delete"),
    path("<slug:kind>/<int:pk>/confirm/", views.record_confirm_view, name="confirm"),
    path("<slug:kind>/<int:pk>/reject/", views.record_reject_view, name="reject"),
    path("<slug:kind>/<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("<slug:kind>/<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment"),
    path(
        "<slug:kind>/<int:pk>/attachments/<int:attachment_pk>/delete/",
        views.attachment_delete_view,
        name="attachment_delete",
    ),
]
