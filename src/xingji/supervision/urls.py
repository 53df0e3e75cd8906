from django.urls import path

from xingji.supervision import views

app_name = "supervision"

urlpatterns = [
    path("focus/", views.focus_list, name="focus_list"),
    path("focus/export/", views.focus_export, name="focus_export"),
    path("organizations/<int:pk>/guide/", views.guide_assign, name="guide_assign"),
    path("rechecks/", views.recheck_list, name="recheck_list"),
    path("organizations/<int:pk>/rechecks/new/", views.recheck_create, name="recheck_create"),
    path("rechecks/<int:pk>/", views.recheck_detail, name="recheck_detail"),
    path("rechecks/<int:pk>/items/", views.recheck_items, name="recheck_items"),
    path("changes/", views.change_list, name="change_list"),
    path("organizations/<int:pk>/changes/new/", views.change_create, name="change_create"),
    path("changes/<int:pk>/", views.change_detail, name="change_detail"),
    path("changes/<int:pk>/approve/", views.change_approve, name="change_approve"),
    path("changes/<int:pk>/reject/", views.change_reject, name="change_reject"),
    path("changes/<int:pk>/withdraw/", views.change_withdraw, name="change_withdraw"),
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/new/", views.visit_create, name="visit_create"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
]
