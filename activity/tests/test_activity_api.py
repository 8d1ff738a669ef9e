"""`GET /api/activity/`: newest first, paginated, and each host sees only its own schema's log —
a tenant's admins their tenant's, operators the public schema's (docs/architecture.md#oversight)."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.admin.sites import site as root_admin_site
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.tests.factories import UserFactory
from activity.models import ActivityEvent
from activity.services import activity_record, platform_activity_record
from config.admin_sites import tenant_admin_site
from conftest import ADMIN_PASSWORD
from core.testing import ROOT, TENANT_A, TENANT_B, client, tokens
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def record(schema: str, verb: str, target: str, **data: Any) -> ActivityEvent:
    with schema_context(schema), transaction.atomic():
        return activity_record(actor=f"{schema}-admin", verb=verb, target=target, data=data)


@pytest.fixture
def beta_admin(tenant_b: Tenant) -> dict[str, str]:
    UserFactory.create(schema="beta", username="boss", role="admin")
    return tokens(TENANT_B, "boss")


def targets(body: dict[str, Any]) -> list[str]:
    return [event["target"] for event in body["results"]]


def test_a_tenants_events_are_listed_newest_first_with_their_data(
    admin_a: dict[str, str],
) -> None:
    record("alpha", "exemption.created", "ceo", reason="Sabbatical")
    newest = record(
        "alpha", "policy.updated", "cleanup policy", inactive_days={"old": 90, "new": 7}
    )

    body = client(TENANT_A, admin_a["access"]).get("/api/activity/").json()

    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    assert body["results"][0] == {
        "id": newest.pk,
        "at": newest.at.isoformat().replace("+00:00", "Z"),
        "actor": "alpha-admin",
        "verb": "policy.updated",
        "target": "cleanup policy",
        "data": {"inactive_days": {"old": 90, "new": 7}},
    }
    assert targets(body) == ["cleanup policy", "ceo"]


def test_events_at_the_same_instant_are_ordered_by_id(admin_a: dict[str, str]) -> None:
    first = record("alpha", "exemption.created", "first")
    second = record("alpha", "exemption.created", "second")
    with schema_context("alpha"):
        ActivityEvent.objects.filter(pk__in=[first.pk, second.pk]).update(at=timezone.now())

    body = client(TENANT_A, admin_a["access"]).get("/api/activity/").json()

    assert targets(body) == ["second", "first"]


def test_the_log_is_paginated(admin_a: dict[str, str]) -> None:
    with schema_context("alpha"):
        now = timezone.now()
        ActivityEvent.objects.bulk_create(
            ActivityEvent(actor="a", verb="exemption.created", target=f"u{i}") for i in range(25)
        )
        for i, event in enumerate(ActivityEvent.objects.order_by("id")):
            ActivityEvent.objects.filter(pk=event.pk).update(at=now - timedelta(minutes=100 - i))
    api = client(TENANT_A, admin_a["access"])

    first = api.get("/api/activity/").json()
    second = api.get("/api/activity/?page=2").json()
    small = api.get("/api/activity/?page_size=5&page=3").json()

    assert first["count"] == 25 and len(first["results"]) == 20 and first["next"]
    assert targets(first)[:2] == ["u24", "u23"]
    assert targets(second) == [f"u{i}" for i in range(4, -1, -1)] and second["previous"]
    assert targets(small) == [f"u{i}" for i in range(14, 9, -1)]
    assert api.get("/api/activity/?page=3").status_code == 404


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=x", "page_size=²", "page=1&page=2"])
def test_a_bad_page_is_a_400(admin_a: dict[str, str], query: str) -> None:
    response = client(TENANT_A, admin_a["access"]).get(f"/api/activity/?{query}")
    assert response.status_code == 400


def test_each_tenant_sees_only_its_own_log(
    admin_a: dict[str, str], beta_admin: dict[str, str]
) -> None:
    record("alpha", "exemption.created", "alpha-user")
    record("beta", "exemption.created", "beta-user")

    alpha = client(TENANT_A, admin_a["access"]).get("/api/activity/").json()
    beta = client(TENANT_B, beta_admin["access"]).get("/api/activity/").json()

    assert targets(alpha) == ["alpha-user"]
    assert targets(beta) == ["beta-user"]


def test_operators_see_the_public_log_and_no_tenants(
    operator: dict[str, str], admin_a: dict[str, str]
) -> None:
    with schema_context("public"):
        before = ActivityEvent.objects.count()  # the session's tenants' creation
    with transaction.atomic():
        platform_activity_record(actor="operator", verb="platform.triggered", target="all tenants")
    record("alpha", "exemption.created", "alpha-user")

    root = client(ROOT, operator["access"]).get("/api/activity/").json()
    tenant = client(TENANT_A, admin_a["access"]).get("/api/activity/").json()

    assert root["count"] == before + 1 and targets(root)[0] == "all tenants"
    assert "alpha-user" not in targets(root)
    assert {e["verb"] for e in root["results"]} <= {"tenant.created", "platform.triggered"}
    assert targets(tenant) == ["alpha-user"]


def test_the_log_needs_an_admin_of_this_host(
    member_a: dict[str, str], admin_a: dict[str, str], operator: dict[str, str]
) -> None:
    assert client(TENANT_A).get("/api/activity/").status_code == 401
    assert client(ROOT).get("/api/activity/").status_code == 401
    assert client(TENANT_A, member_a["access"]).get("/api/activity/").status_code == 403
    # A token works on the host it was minted on only.
    assert client(ROOT, admin_a["access"]).get("/api/activity/").status_code == 401
    assert client(TENANT_A, operator["access"]).get("/api/activity/").status_code == 401
    assert client(TENANT_B, admin_a["access"]).get("/api/activity/").status_code == 401


def test_a_root_user_who_is_no_operator_is_refused(db: None) -> None:
    UserFactory.create(schema="public", username="clerk")
    clerk = tokens(ROOT, "clerk")
    assert client(ROOT, clerk["access"]).get("/api/activity/").status_code == 403


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_log_cannot_be_written_through_the_api(admin_a: dict[str, str], method: str) -> None:
    response = getattr(client(TENANT_A, admin_a["access"]), method)(
        "/api/activity/", {"verb": "policy.updated"}, format="json"
    )
    assert response.status_code == 405


# --- Django admin: read-only on both sites


def test_the_activity_admin_is_read_only_on_both_sites() -> None:
    for site in (root_admin_site, tenant_admin_site):
        model_admin = site._registry[ActivityEvent]
        assert not model_admin.has_add_permission(None)  # type: ignore[arg-type]
        assert not model_admin.has_change_permission(None)  # type: ignore[arg-type]
        assert not model_admin.has_delete_permission(None)  # type: ignore[arg-type]


def test_the_tenant_admin_site_lists_the_tenants_events_filtered_by_verb(
    tenant_a: Tenant,
) -> None:
    record("alpha", "exemption.created", "alpha-user")
    record("alpha", "policy.updated", "cleanup policy")
    record("beta", "exemption.created", "beta-user")
    site = Client(HTTP_HOST=TENANT_A)
    login = {"username": "admin", "password": ADMIN_PASSWORD, "next": "/admin/"}
    assert site.post("/admin/login/", login).status_code == 302

    page = site.get("/admin/activity/activityevent/?verb=exemption.created")

    assert page.status_code == 200
    shown = [event.target for event in page.context["cl"].result_list]
    assert shown == ["alpha-user"]
    event = page.context["cl"].result_list[0]
    detail = site.get(f"/admin/activity/activityevent/{event.pk}/change/")
    assert detail.status_code == 200 and b"alpha-user" in detail.content
    assert (
        site.post(f"/admin/activity/activityevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
