from django.urls import path

from xingji.branchwork import views

app_name = "branchwork"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("import/", views.meeting_import, name="meeting_import"),
    path("import/template/", views.import_template, name="import_template"),
    path("branches/<int:pk>/", views.branch, name="branch"),
    path("branches/<int:pk>/meetings/new/", views.meeting_create, name="meeting_create"),
    path("organizations/<int:pk>/meetings/", views.unit_meetings, name="unit_meetings"),
    path("organizations/<int:pk>/meetings/new/", views.unit_meeting_create, name="unit_meeting_create"),
    path("appraisals/", views.appraisal_overview, name="appraisal_overview"),
    path("branches/<int:pk>/appraisal/<int:year>/", views.appraisal, name="appraisal"),
    path(
        "branches/<int:pk>/appraisal/<int:year>/members/<int:member_pk>/follow-up/",
        views.appraisal_follow_up,
        name="appraisal_follow_up",
    ),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/delete/", views.meeting_delete, name="meeting_delete"),
    path("meetings/<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("meetings/<int:pk>/attachments/<int:attachment_pk>/", views.attachment, name="attachment"),
    path(
        "meetings/<int:pk>/attachments/<int:attachment_pk>/delete/",
        views.attachment_delete,
        name="attachment_delete",
    ),
]
