"""The campaign pages of the office, the reviewers and the branches (the public notice pages are elsewhere)."""

from django.urls import path

from xingji.campaigns import ledger_import_views, sandbox_views, scheme_views, scope_views, views, withdraw_views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/open/", views.campaign_open, name="open"),
    path("<int:pk>/scope/", scope_views.campaign_scope, name="scope"),
    path("<int:pk>/quota-mode/", scope_views.campaign_quota_mode, name="quota_mode"),
    path("<int:pk>/evaluations/", views.evaluation_list, name="evaluation_list"),
    path("<int:pk>/export/", views.campaign_export, name="export"),
    path("<int:pk>/rating/", views.rating, name="rating"),
    path("<int:pk>/rating/status/", views.rating_status, name="rating_status"),
    path("<int:pk>/rating/start/", views.rating_start, name="rating_start"),
    path("<int:pk>/rating/tie/", views.tie_decide, name="tie_decide"),
    path("<int:pk>/notice/", views.notice_publish, name="notice_publish"),
    path("<int:pk>/notice/close/", views.notice_close, name="notice_close"),
    path("<int:pk>/objections/", views.objections, name="objections"),
    path("<int:pk>/objections/answer/", views.objection_answer, name="objection_answer"),
    path("<int:pk>/approve/", views.campaign_approve, name="approve"),
    path("<int:pk>/municipal/send/", views.municipal_send, name="municipal_send"),
    path("<int:pk>/municipal/return/", views.municipal_return, name="municipal_return"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation"),
    path("evaluations/<int:pk>/self/", views.self_evaluation, name="self_evaluation"),
    path("evaluations/<int:pk>/self/docx/", views.self_evaluation_docx_view, name="self_evaluation_docx"),
    path("evaluations/<int:pk>/self/pdf/", views.self_evaluation_pdf_view, name="self_evaluation_pdf"),
    path("evaluations/<int:pk>/self/return/", views.self_evaluation_return, name="self_return"),
    path("evaluations/<int:pk>/self/withdraw/", withdraw_views.self_evaluation_withdraw, name="self_withdraw"),
    path(
        "evaluations/<int:pk>/self/evidence/<int:attachment_pk>/",
        views.criterion_attachment_download,
        name="criterion_attachment",
    ),
    path("evaluations/<int:pk>/superior/", views.superior_evaluation, name="superior_evaluation"),
    path(
        "evaluations/<int:pk>/superior/withdraw/",
        withdraw_views.superior_evaluation_withdraw,
        name="superior_withdraw",
    ),
    path("evaluations/<int:pk>/review/", views.five_star_review, name="review"),
    path("evaluations/<int:pk>/check/", views.direct_check, name="direct_check"),
    path("ledger/<int:pk>/", views.ledger, name="ledger"),
    path("ledger/import/", ledger_import_views.ledger_import_page, name="ledger_import"),
    path("ledger/import/template/", ledger_import_views.ledger_import_template, name="ledger_import_template"),
    path("evaluations/<int:pk>/sandbox/", sandbox_views.evaluation_sandbox, name="sandbox"),
    path("schemes/", scheme_views.scheme_list, name="schemes"),
    path("schemes/<slug:scheme_id>/", scheme_views.scheme_detail, name="scheme"),
    path("schemes/<slug:scheme_id>/toml/", scheme_views.scheme_toml, name="scheme_toml"),
    path("<int:pk>/scheme/", scheme_views.campaign_scheme, name="campaign_scheme"),
    path("<int:pk>/scheme/toml/", scheme_views.campaign_scheme_toml, name="campaign_scheme_toml"),
    path("<int:pk>/scheme/upload/", scheme_views.campaign_scheme_upload, name="campaign_scheme_upload"),
    path("<int:pk>/scheme/upload/preview/", scheme_views.campaign_scheme_preview, name="campaign_scheme_preview"),
    path("<int:pk>/scheme/upload/confirm/", scheme_views.campaign_scheme_confirm, name="campaign_scheme_confirm"),
    path("<int:pk>/scheme/upload/cancel/", scheme_views.campaign_scheme_cancel, name="campaign_scheme_cancel"),
]

# 晋位争星: a superior's list of who is close to the next level or at risk, one organization's way up.
from xingji.campaigns import guidance_views  # noqa: E402

urlpatterns += [
    path("guidance/", guidance_views.guidance_list, name="guidance_list"),
    path("guidance/export/", guidance_views.guidance_export, name="guidance_export"),
    path("guidance/organizations/<int:pk>/", guidance_views.organization_guidance, name="guidance_organization"),
]
