"""The public results (评定结果), no login: mounted at ``/results/``."""

from django.urls import path

from xingji.reports import public_views

app_name = "results"

urlpatterns = [
    path("", public_views.publication_list, name="list"),
    path("<int:pk>/", public_views.publication_detail, name="detail"),
    path("<int:pk>/objection/", public_views.correction_objection, name="correction_objection"),
]
