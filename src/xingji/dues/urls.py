from django.urls import path

from xingji.dues import views

app_name = "dues"

urlpatterns = [
    path("", views.index, name="index"),
    path("export/", views.export, name="export"),
    path("organizations/<int:pk>/", views.branch, name="branch"),
    path("organizations/<int:pk>/import/", views.payment_import, name="payment_import"),
    path("organizations/<int:pk>/template/", views.import_template, name="import_template"),
    path("members/<int:pk>/", views.member, name="member"),
    path("members/<int:pk>/account/", views.account_edit, name="account_edit"),
    path("members/<int:pk>/payments/new/", views.payment_create, name="payment_create"),
    path("members/<int:pk>/reductions/new/", views.reduction_propose, name="reduction_propose"),
    path("reductions/<int:pk>/approve/", views.reduction_approve, name="reduction_approve"),
    path("reductions/<int:pk>/reject/", views.reduction_reject, name="reduction_reject"),
]
