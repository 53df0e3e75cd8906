"""The ballot (测评票), no login: mounted at ``/ballot/``."""

from django.urls import path  # noqa: F401

app_name = "ballot"

urlpatterns: list = []
