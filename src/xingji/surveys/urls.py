from django.urls import path

from xingji.surveys import views

app_name = "surveys"

urlpatterns = [
    path("evaluations/<int:pk>/", views.evaluation_sessions, name="evaluation"),
    path("evaluations/<int:pk>/open/", views.session_open, name="open"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/settings/", views.session_settings, name="settings"),
    path("sessions/<int:pk>/issue/", views.tokens_issue, name="issue"),
    path("sessions/<int:pk>/close/", views.session_close, name="close"),
    path("sessions/<int:pk>/export/", views.ballots_export, name="export"),
]
