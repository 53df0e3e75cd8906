"""The public results (评定结果), no login: mounted at ``/results/``."""

from django.urls import path  # noqa: F401

app_name = "results"

urlpatterns: list = []
