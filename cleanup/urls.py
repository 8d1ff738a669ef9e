from django.urls import path

from cleanup import apis

urlpatterns = [
    path("reports/latest/", apis.ReportLatestApi.as_view()),
    path("reports/", apis.ReportListApi.as_view()),
    path("reports/<int:report_id>/", apis.ReportDetailApi.as_view()),
    path("reports/<int:report_id>/users/", apis.ReportAuditApi.as_view()),
    path("reports/<int:report_id>/tokens/", apis.ReportTokenAuditApi.as_view()),
    path("reports/<int:report_id>/notices/", apis.ReportNoticesApi.as_view()),
    path(
        "reports/<int:report_id>/users/<int:user_id>/reactivate/",
        apis.AuditUserReactivateApi.as_view(),
    ),
    path("reports/<int:report_id>/approve/", apis.ReportApproveApi.as_view()),
    path("reports/<int:report_id>/reject/", apis.ReportRejectApi.as_view()),
    path("reports/<int:report_id>/undo/", apis.ReportUndoApi.as_view()),
    path("cleanup/trigger/", apis.CleanupTriggerApi.as_view()),
    path("cleanup/policy/", apis.PolicyApi.as_view()),
    path("cleanup/policy/test-notice/", apis.NoticeTestApi.as_view()),
    path("cleanup/preview/", apis.PreviewApi.as_view()),
    path("exemptions/", apis.ExemptionListCreateApi.as_view()),
    path("exemptions/<int:exemption_id>/", apis.ExemptionDetailApi.as_view()),
]
