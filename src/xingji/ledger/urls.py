from django.urls import path

from xingji.ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.item_list, name="item_list"),
    path("items/new/", views.item_create, name="item_create"),
    path("items/export/", views.item_export, name="item_export"),
    path("items/template/", views.item_template, name="item_template"),
    path("items/import/", views.item_import, name="item_import"),
    path("items/<int:pk>/", views.item_detail, name="item_detail"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<int:pk>/close/", views.item_request_close, name="item_request_close"),
    path("items/<int:pk>/confirm/", views.item_confirm, name="item_confirm"),
    path("items/<int:pk>/refuse/", views.item_refuse, name="item_refuse"),
    path("items/<int:pk>/attachments/", views.item_attachment_upload, name="item_attachment_upload"),
    path("items/<int:pk>/attachments/<int:attachment_pk>/", views.item_attachment, name="item_attachment"),
    path(
        "items/<int:pk>/attachments/<int:attachment_pk>/delete/",
        views.item_attachment_delete,
        name="item_attachment_delete",
    ),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/<int:pk>/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/submit/", views.plan_submit, name="plan_submit"),
    path("plans/<int:pk>/acknowledge/", views.plan_acknowledge, name="plan_acknowledge"),
    path("plans/<int:pk>/return/", views.plan_return, name="plan_return"),
    path("plans/<int:pk>/milestones/<int:milestone_pk>/done/", views.milestone_done, name="milestone_done"),
    path("plans/<int:pk>/milestones/<int:milestone_pk>/reopen/", views.milestone_reopen, name="milestone_reopen"),
    path("plans/<int:pk>/docx/", views.plan_docx, name="plan_docx"),
]
