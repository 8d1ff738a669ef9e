"""Tenant endpoints: reports, audit lists, trigger, policy, preview, exemptions, and oversight
of runs (approve, reject, reactivate, undo). Tenant admins; auditors read."""

import csv
from collections.abc import Iterator
from typing import Any, cast

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.activity import last_active
from accounts.models import User
from accounts.selectors import activity_by_user
from cleanup import selectors
from cleanup.models import (
    CleanupAuditEntry,
    CleanupExemption,
    CleanupNotice,
    CleanupReport,
    CleanupTokenAuditEntry,
)
from cleanup.serializers import (
    AuditEntrySerializer,
    ConflictSerializer,
    ExemptionCreateSerializer,
    ExemptionSerializer,
    NoticeQuerySerializer,
    NoticeSerializer,
    PolicySerializer,
    PolicyWriteSerializer,
    PreviewRequestSerializer,
    PreviewSerializer,
    ReactivatedSerializer,
    ReportConflictSerializer,
    ReportSerializer,
    TestNoticeSerializer,
    TokenAuditEntrySerializer,
    TriggerRequestSerializer,
    TriggerResponseSerializer,
    UndoPreviewSerializer,
    UndoSerializer,
    report_data,
)
from cleanup.services.exemptions import exemption_create, exemption_delete, exemption_input_check
from cleanup.services.mail import tenant_mail
from cleanup.services.notice_test import notice_sample, notice_test_request
from cleanup.services.oversight import (
    report_approve,
    report_reject,
    report_undo,
    report_undo_check,
    user_reactivate,
)
from cleanup.services.start import cleanup_enqueue
from core.api import AUTH_ERRORS, ERROR, READS, VALIDATION_ERROR, TenantAdminApi, validate_with
from core.scopes import (
    AUDIT_READ,
    CLEANUP_RUN,
    EXEMPTIONS_WRITE,
    OVERSIGHT_WRITE,
    POLICY_READ,
    POLICY_WRITE,
    REPORTS_READ,
)
from policy.services import policy_get, policy_try, policy_update


class ReportLatestApi(TenantAdminApi):
    scopes = {"GET": REPORTS_READ}
    auditor_methods = READS

    @extend_schema(responses={200: ReportSerializer, 404: ERROR, **AUTH_ERRORS})
    def get(self, request: Request) -> Response:
        report = selectors.report_latest()
        if report is None:
            raise NotFound("No cleanup has run yet.")
        return Response(report_data(report, may_change=self.may_change))


@extend_schema(
    responses={200: ReportSerializer(many=True), 400: VALIDATION_ERROR, 404: ERROR, **AUTH_ERRORS}
)
class ReportListApi(TenantAdminApi, ListAPIView):
    """Reports, newest first, paginated."""

    scopes = {"GET": REPORTS_READ}

    auditor_methods = READS
    serializer_class = ReportSerializer

    def get_queryset(self) -> QuerySet[CleanupReport]:
        return selectors.report_list()

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "may_change": self.may_change}


class ReportDetailApi(TenantAdminApi):
    scopes = {"GET": REPORTS_READ}
    auditor_methods = READS

    @extend_schema(responses={200: ReportSerializer, 404: ERROR, **AUTH_ERRORS})
    def get(self, request: Request, report_id: int) -> Response:
        report = get_object_or_404(CleanupReport, pk=report_id)
        return Response(report_data(report, may_change=self.may_change))


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        return data  # the view streams CSV itself; errors still render as JSON text


class _Echo:
    def write(self, value: str) -> str:
        return value


# The CSV's columns: the JSON's, but one line per user (no per-source list).
AUDIT_COLUMNS = [name for name in AuditEntrySerializer.Meta.fields if name != "activity"]
_STORED_COLUMNS = [
    name for name in AUDIT_COLUMNS if name not in ("last_active_at", "last_active_source")
]


# A spreadsheet reads a cell starting with one of these as a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> str:
    """The value as a CSV cell a spreadsheet shows as text: a cell that would start a formula
    is prefixed with `'`. Usernames and emails come from people, so any of them may."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _csv_rows(rows: Iterator[dict[str, Any]], columns: list[str]) -> Iterator[str]:
    """A whole audit list as CSV lines, from rows read with a server-side cursor: flat
    memory."""
    writer = csv.writer(_Echo())
    yield writer.writerow(columns)
    for row in rows:
        yield writer.writerow([_csv_cell(row[name]) for name in columns])


class ReportAuditApi(TenantAdminApi, ListAPIView):
    """The users a run removed, paginated; `?format=csv` streams the whole list."""

    scopes = {"GET": AUDIT_READ}

    auditor_methods = READS
    renderer_classes = [JSONRenderer, CSVRenderer]
    serializer_class = AuditEntrySerializer
    csv_name = "users"

    def get_queryset(self) -> QuerySet[CleanupAuditEntry]:
        return selectors.report_audit(self._report())

    def _report(self) -> CleanupReport:
        return get_object_or_404(CleanupReport, pk=self.kwargs["report_id"])

    def page_context(self, page: list[Any] | None) -> dict[str, Any]:
        """What the page's serializer needs besides the rows: each user's activity per
        source, read once for the page."""
        return {"activity": activity_by_user([entry.user_id for entry in page or []])}

    def csv_table(self, rows: QuerySet[Any]) -> tuple[list[str], Iterator[dict[str, Any]]]:
        """The CSV's columns and its rows: the users' with when and how each was last
        active, derived from what the run stored."""

        def stored() -> Iterator[dict[str, Any]]:
            values = rows.values(*_STORED_COLUMNS, "last_seen_source")
            for row in values.iterator(chunk_size=2000):
                row["last_active_at"], row["last_active_source"] = last_active(
                    row["last_login"], row["last_seen"], row["last_seen_source"]
                )
                yield row

        return AUDIT_COLUMNS, stored()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["json", "csv"],
                description="`csv` downloads the whole list (streamed)",
            )
        ],
        responses={
            200: AuditEntrySerializer(many=True),
            400: VALIDATION_ERROR,
            404: ERROR,
            **AUTH_ERRORS,
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        if request.accepted_renderer.format != "csv":
            page = self.paginate_queryset(self.get_queryset())
            serializer = self.serializer_class(page, many=True, context=self.page_context(page))
            return self.get_paginated_response(serializer.data)
        report = self._report()
        columns, table = self.csv_table(self.get_queryset())
        rows = _csv_rows(table, columns)
        response = StreamingHttpResponse(rows, content_type="text/csv")
        name = f"cleanup-{report.pk}-{self.csv_name}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["json", "csv"],
                description="`csv` downloads the whole list (streamed)",
            )
        ],
        responses={
            200: TokenAuditEntrySerializer(many=True),
            400: VALIDATION_ERROR,
            404: ERROR,
            **AUTH_ERRORS,
        },
    )
)
class ReportTokenAuditApi(ReportAuditApi):
    """The API tokens a run revoked as unused, paginated; `?format=csv` streams the whole
    list."""

    serializer_class = TokenAuditEntrySerializer  # type: ignore[assignment]
    csv_name = "tokens"

    def get_queryset(self) -> QuerySet[CleanupTokenAuditEntry]:  # type: ignore[override]
        return selectors.report_token_audit(self._report())

    def page_context(self, page: list[Any] | None) -> dict[str, Any]:
        return {}

    def csv_table(self, rows: QuerySet[Any]) -> tuple[list[str], Iterator[dict[str, Any]]]:
        columns = list(self.serializer_class.Meta.fields)
        return columns, rows.values(*columns).iterator(chunk_size=2000)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "status",
            OpenApiTypes.STR,
            enum=CleanupNotice.Status.values,
            description="Only the notices in this status (e.g. `undeliverable`: whose address "
            "refused them)",
        )
    ],
    responses={200: NoticeSerializer(many=True), 400: VALIDATION_ERROR, 404: ERROR, **AUTH_ERRORS},
)
class ReportNoticesApi(TenantAdminApi, ListAPIView):
    """The users a run warned by email (its notices), paginated, in the order it warned them.
    A dry run, or a run stopped at the safety cap, warned nobody."""

    scopes = {"GET": AUDIT_READ}

    auditor_methods = READS
    serializer_class = NoticeSerializer

    def get_queryset(self) -> QuerySet[CleanupNotice]:
        query = NoticeQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        report = get_object_or_404(CleanupReport, pk=self.kwargs["report_id"])
        return selectors.report_notices(report, status=query.validated_data.get("status"))


class CleanupTriggerApi(TenantAdminApi):
    scopes = {"POST": CLEANUP_RUN}

    @extend_schema(
        request=TriggerRequestSerializer,
        responses={
            202: TriggerResponseSerializer,
            400: VALIDATION_ERROR,
            409: ConflictSerializer,
            503: ERROR,
            **AUTH_ERRORS,
        },
        summary="Queue a cleanup run now (dry_run absent: the policy's)",
    )
    def post(self, request: Request) -> Response:
        serializer = TriggerRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = cleanup_enqueue(
            schema_name=self.schema_name,
            trigger=CleanupReport.Trigger.MANUAL,
            triggered_by=request.user.get_username(),
            dry_run=serializer.validated_data["dry_run"],
        )
        return Response(
            {"report_id": report.pk, "task_id": report.task_id, "status": report.status},
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/reports/{report.pk}/"},
        )


class PolicyApi(TenantAdminApi):
    scopes = {"GET": POLICY_READ, "PUT": POLICY_WRITE, "PATCH": POLICY_WRITE}
    auditor_methods = READS

    @extend_schema(responses={200: PolicySerializer, **AUTH_ERRORS})
    def get(self, request: Request) -> Response:
        return Response(PolicySerializer(policy_get(self.schema_name)).data)

    @extend_schema(
        request=PolicyWriteSerializer,
        responses={200: PolicySerializer, 400: VALIDATION_ERROR, **AUTH_ERRORS},
    )
    def put(self, request: Request) -> Response:
        return self._update(request, partial=False)

    @extend_schema(
        request=PolicyWriteSerializer,
        responses={200: PolicySerializer, 400: VALIDATION_ERROR, **AUTH_ERRORS},
    )
    def patch(self, request: Request) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, partial: bool) -> Response:
        policy = policy_get(self.schema_name)
        data = validate_with(
            PolicyWriteSerializer(policy, data=request.data, partial=partial),
            lambda passed: policy_try(schema_name=self.schema_name, overrides=passed),
        )
        policy = policy_update(policy=policy, data=data, actor=request.user.get_username())
        return Response(PolicySerializer(policy).data)


class PreviewApi(TenantAdminApi):
    scopes = {"POST": POLICY_READ}
    # A POST only because the policy to try is a body; nothing is saved, and it shows no one
    # an auditor could not see otherwise, so auditors read the saved policy's effect too.
    auditor_methods = frozenset({"POST"})

    @extend_schema(
        request=PreviewRequestSerializer,
        responses={200: PreviewSerializer, 400: VALIDATION_ERROR, **AUTH_ERRORS},
        summary="Who a policy (the saved one, with any fields overridden) would remove now",
    )
    def post(self, request: Request) -> Response:
        overrides = validate_with(
            PreviewRequestSerializer(data=request.data),
            lambda passed: policy_try(schema_name=self.schema_name, overrides=passed),
        )
        spec = policy_try(schema_name=self.schema_name, overrides=overrides)
        now = timezone.now()
        preview = selectors.cleanup_preview(spec, now)
        tenant = tenant_mail(self.schema_name)
        if tenant is None:  # never on a tenant host, whose schema is its tenant's
            raise NotFound()
        user = request.user
        name = getattr(user, "first_name", "") or user.get_username()
        words = notice_sample(spec=spec, tenant=tenant, first_name=name, now=now)
        preview["notice"] = {"subject": words.subject, "text": words.text}
        return Response(PreviewSerializer(preview).data)


class NoticeTestApi(TenantAdminApi):
    """Send the caller a test notice: the saved policy, with any fields of the body (the
    editor's draft) applied and checked like a save. Tenant admins only; at most a few per
    admin every ten minutes (429)."""

    # Mail goes to the caller's own address: a token of one who may change the policy.
    scopes = {"POST": POLICY_WRITE}

    @extend_schema(
        request=PreviewRequestSerializer,
        responses={
            202: TestNoticeSerializer,
            400: VALIDATION_ERROR,
            429: ERROR,
            503: ERROR,
            **AUTH_ERRORS,
        },
        summary="Email the caller a test notice (the saved policy, with a draft's fields)",
    )
    def post(self, request: Request) -> Response:
        overrides = validate_with(
            PreviewRequestSerializer(data=request.data),
            lambda passed: policy_try(schema_name=self.schema_name, overrides=passed),
        )
        spec = policy_try(schema_name=self.schema_name, overrides=overrides)
        user = cast(User, request.user)  # a tenant admin: TenantAdminApi's permission
        to = notice_test_request(schema_name=self.schema_name, user=user, spec=spec)
        return Response({"to": to}, status=status.HTTP_202_ACCEPTED)


class ExemptionListCreateApi(TenantAdminApi, ListAPIView):
    """Users no run may touch (docs/architecture.md#oversight), newest first."""

    scopes = {"GET": POLICY_READ, "POST": EXEMPTIONS_WRITE}

    auditor_methods = READS
    serializer_class = ExemptionSerializer

    def get_queryset(self) -> QuerySet[CleanupExemption]:
        return selectors.exemption_list(timezone.now())

    @extend_schema(
        responses={
            200: ExemptionSerializer(many=True),
            400: VALIDATION_ERROR,
            404: ERROR,
            **AUTH_ERRORS,
        }
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=ExemptionCreateSerializer,
        responses={201: ExemptionSerializer, 400: VALIDATION_ERROR, **AUTH_ERRORS},
        summary="Exempt a user from every run, with a reason and an optional expiry",
    )
    def post(self, request: Request) -> Response:
        data = validate_with(ExemptionCreateSerializer(data=request.data), exemption_input_check)
        exemption = exemption_create(**data, actor=request.user.get_username())
        created = self.get_queryset().get(pk=exemption.pk)
        return Response(ExemptionSerializer(created).data, status=status.HTTP_201_CREATED)


class ExemptionDetailApi(TenantAdminApi):
    """One exemption: removing it makes its user eligible again at the next run."""

    scopes = {"DELETE": EXEMPTIONS_WRITE}

    @extend_schema(responses={204: None, 404: ERROR, **AUTH_ERRORS})
    def delete(self, request: Request, exemption_id: int) -> Response:
        exemption_delete(exemption_id=exemption_id, actor=request.user.get_username())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Oversight (docs/architecture.md#oversight) ---------------------------------------------------


class ReportApproveApi(TenantAdminApi):
    scopes = {"POST": OVERSIGHT_WRITE}

    @extend_schema(
        request=None,
        responses={
            202: ReportSerializer,
            404: ERROR,
            409: ReportConflictSerializer,
            503: ERROR,
            **AUTH_ERRORS,
        },
        summary="Approve a run awaiting approval: it is queued again and removes at most the "
        "users_matched it showed",
    )
    def post(self, request: Request, report_id: int) -> Response:
        report = report_approve(
            schema_name=self.schema_name, report_id=report_id, actor=request.user.get_username()
        )
        return Response(
            report_data(report, may_change=self.may_change), status=status.HTTP_202_ACCEPTED
        )


class ReportRejectApi(TenantAdminApi):
    scopes = {"POST": OVERSIGHT_WRITE}

    @extend_schema(
        request=None,
        responses={200: ReportSerializer, 404: ERROR, 409: ReportConflictSerializer, **AUTH_ERRORS},
        summary="Reject a run awaiting approval: it ends aborted, removing nobody",
    )
    def post(self, request: Request, report_id: int) -> Response:
        report = report_reject(report_id=report_id, actor=request.user.get_username())
        return Response(report_data(report, may_change=self.may_change))


class ReportUndoApi(TenantAdminApi):
    scopes = {"GET": REPORTS_READ, "POST": OVERSIGHT_WRITE}
    auditor_methods = READS  # GET counts what an undo would do; POST does it

    @extend_schema(
        responses={
            200: UndoPreviewSerializer,
            404: ERROR,
            409: ReportConflictSerializer,
            **AUTH_ERRORS,
        },
        summary="What undoing a finished run would do now (changes nothing)",
    )
    def get(self, request: Request, report_id: int) -> Response:
        return Response(UndoPreviewSerializer(report_undo_check(report_id=report_id)).data)

    @extend_schema(
        request=None,
        responses={200: UndoSerializer, 404: ERROR, 409: ReportConflictSerializer, **AUTH_ERRORS},
        summary="Undo a finished run: reactivate the accounts it deactivated that are still "
        "inactive because of it",
    )
    def post(self, request: Request, report_id: int) -> Response:
        result = report_undo(report_id=report_id, actor=request.user.get_username())
        return Response(UndoSerializer(result._asdict()).data)


class AuditUserReactivateApi(TenantAdminApi):
    scopes = {"POST": OVERSIGHT_WRITE}

    @extend_schema(
        request=None,
        responses={
            200: ReactivatedSerializer,
            404: ERROR,
            409: ERROR,
            **AUTH_ERRORS,
        },
        summary="Reactivate one account this run deactivated",
    )
    def post(self, request: Request, report_id: int, user_id: int) -> Response:
        entry = user_reactivate(
            report_id=report_id, user_id=user_id, actor=request.user.get_username()
        )
        return Response(ReactivatedSerializer(entry).data)
