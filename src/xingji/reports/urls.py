"""The results' use (结果运用): mounted at ``/reports/``."""

from django.urls import path

from xingji.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:year>/", views.year_overview, name="year"),
    path("<int:year>/plaques/issue/", views.plaques_issue, name="plaques_issue"),
    path("<int:year>/plaques.pdf", views.plaques_pdf, name="plaques_pdf"),
    path("plaques/<int:pk>.pdf", views.plaque_pdf, name="plaque_pdf"),
    path("plaques/<int:pk>/withdraw/", views.plaque_withdraw, name="plaque_withdraw"),
    path("sites/", views.site_list, name="site_list"),
    path("sites/export.xlsx", views.site_export, name="site_export"),
    path("<int:year>/sites/new/", views.site_create, name="site_create"),
    path("sites/<int:pk>/revoke/", views.site_revoke, name="site_revoke"),
    path("<int:year>/recommendations/", views.recommendation_list, name="recommendation_list"),
    path("<int:year>/recommendations/new/", views.recommendation_create, name="recommendation_create"),
    path("<int:year>/recommendations/submit/", views.recommendation_submit, name="recommendation_submit"),
    path("<int:year>/recommendations.xlsx", views.recommendation_xlsx, name="recommendation_xlsx"),
    path("<int:year>/recommendations.docx", views.recommendation_docx, name="recommendation_docx"),
    path("recommendations/<int:pk>/decide/", views.recommendation_decide, name="recommendation_decide"),
    path("recommendations/<int:pk>/delete/", views.recommendation_delete, name="recommendation_delete"),
    path("<int:year>/assessment.xlsx", views.assessment_export, name="assessment_export"),
    path("<int:year>/publish/", views.publish, name="publish"),
    path("publications/<int:pk>/correct/", views.publication_correct, name="publication_correct"),
    path(
        "correction-objections/<int:pk>/answer/",
        views.correction_objection_answer,
        name="correction_objection_answer",
    ),
]
