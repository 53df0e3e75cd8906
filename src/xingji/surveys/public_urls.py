"""The ballot (测评票), no login: mounted at ``/ballot/``."""

from django.urls import path

from xingji.surveys import public_views

app_name = "ballot"

urlpatterns = [
    path("", public_views.ballot_start, name="start"),
    path("submit/", public_views.ballot_submit, name="submit"),
    path("receipts/<uuid:public_id>/", public_views.receipts, name="receipts"),
]
