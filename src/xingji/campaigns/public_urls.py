"""The public notice pages (公示), no login: mounted at ``/notices/``."""

from django.urls import path

from xingji.campaigns import public_views

app_name = "public"

urlpatterns = [
    path("", public_views.notice_list, name="notice_list"),
    path("<int:pk>/", public_views.notice_detail, name="notice_detail"),
    path("<int:pk>/objection/", public_views.objection_create, name="objection_create"),
    path("objection/receipt/", public_views.objection_receipt, name="objection_receipt"),
    path("objection/lookup/", public_views.objection_lookup, name="objection_lookup"),
]
