from django.urls import path

from xingji.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.entry_list, name="entry_list"),
    path("export/", views.entry_export, name="export"),
    path("verify/", views.verify, name="verify"),
]
