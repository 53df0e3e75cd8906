from django.urls import path

from xingji.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("due/", views.due, name="due"),
]
