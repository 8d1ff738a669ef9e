"""The webhooks API: tenant admins manage endpoints, auditors read, nobody else; the secret
is shown only when made; every input is validated; another tenant's endpoints do not exist."""

from typing import Any

import pytest
from django_tenants.utils import schema_context

from accounts.tests.factories import UserFactory
from activity.models import ActivityEvent
from core.testing import TENANT_A, TENANT_B, client, tokens
from webhooks.models import Delivery, Endpoint, Event
from webhooks.tests.factories import EndpointFactory

URL = "https://93.184.215.14/hooks/cleanup"  # a public address: no name to resolve


@pytest.fixture
def api(admin_a: dict[str, str]) -> Any:
    return client(TENANT_A, admin_a["access"])


def create(api: Any, **body: Any) -> Any:
    return api.post("/api/webhooks/", {"url": URL, "events": ["*"], **body}, format="json")


def test_registering_an_endpoint_returns_its_secret_once(api: Any) -> None:
    response = create(api, events=["users.deleted", "run.finished"], description="billing")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    # In the catalogue's order, each once.
    assert body["events"] == ["run.finished", "users.deleted"]
    assert body["enabled"] is True and body["description"] == "billing"

    listed = api.get("/api/webhooks/").json()
    assert listed["count"] == 1
    assert "secret" not in listed["results"][0]
    detail = api.get(f"/api/webhooks/{body['id']}/").json()
    assert "secret" not in detail and body["secret"] not in str(detail)
    with schema_context("alpha"):
        (event,) = ActivityEvent.objects.filter(verb="webhook.created")
        assert body["secret"] not in str(event.data)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://93.184.215.14/"}, "url"),
        ({"url": "https://127.0.0.1/"}, "url"),
        ({"url": "https://10.0.0.1/"}, "url"),
        ({"url": "https://169.254.169.254/latest/meta-data/"}, "url"),
        ({"url": "https://[::1]/"}, "url"),
        ({"url": "https://[::ffff:127.0.0.1]/"}, "url"),
        ({"url": "https://[fd00:ec2::254]/"}, "url"),
        ({"url": "https://2130706433/"}, "url"),
        ({"url": "https://0x7f.1/"}, "url"),
        ({"url": "https://localhost/"}, "url"),
        ({"url": "https://user:pw@93.184.215.14/"}, "url"),
        ({"url": "ftp://93.184.215.14/"}, "url"),
        ({"url": "https://x/\x00"}, "url"),
        ({"url": "https://" + "a" * 2000}, "url"),
        ({"url": 5}, "url"),
        ({"events": []}, "events"),
        ({"events": ["users.vanished"]}, "events"),
        ({"events": ["*", "run.started"]}, "events"),
        ({"events": "run.started"}, "events"),
        ({"description": "x" * 201}, "description"),
        ({"description": "a\x00b"}, "description"),
    ],
)
def test_a_bad_registration_is_a_400_naming_the_field_and_writes_nothing(
    api: Any, body: dict[str, Any], field: str
) -> None:
    response = create(api, **body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    with schema_context("alpha"):
        assert not Endpoint.objects.exists()
        assert not ActivityEvent.objects.filter(verb__startswith="webhook.").exists()


def test_every_problem_is_named_at_once(api: Any) -> None:
    response = api.post(
        "/api/webhooks/", {"url": "https://127.0.0.1/", "events": ["nope"]}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"url", "events"}


def test_patch_changes_fields_and_enabling_again_clears_the_failure(api: Any) -> None:
    from django.utils import timezone

    endpoint_id = create(api).json()["id"]
    with schema_context("alpha"):
        Endpoint.objects.update(
            enabled=False, failing_since=timezone.now(), disabled_reason="Disabled after ..."
        )
    response = api.patch(
        f"/api/webhooks/{endpoint_id}/",
        {"enabled": True, "events": ["user.kept"], "description": "crm"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["enabled"] is True and body["failing_since"] is None
    assert body["disabled_reason"] == "" and body["events"] == ["user.kept"]
    with schema_context("alpha"):
        (event,) = ActivityEvent.objects.filter(verb="webhook.updated")
        assert event.data["enabled"] == {"old": False, "new": True}
    assert (
        api.patch(f"/api/webhooks/{endpoint_id}/", {"enabled": "yes"}, format="json").status_code
        == 400
    )
    assert (
        api.patch(
            f"/api/webhooks/{endpoint_id}/", {"url": "https://10.1.1.1/"}, format="json"
        ).status_code
        == 400
    )


def test_rotating_returns_the_new_secret_and_logs_it_without_the_secret(api: Any) -> None:
    created = create(api).json()
    response = api.post(f"/api/webhooks/{created['id']}/rotate-secret/")
    assert response.status_code == 200
    secret = response.json()["secret"]
    assert secret.startswith("whsec_") and secret != created["secret"]
    assert response.json()["secret_rotation_ends_at"]
    detail = api.get(f"/api/webhooks/{created['id']}/").json()
    assert detail["secret_rotation_ends_at"] == response.json()["secret_rotation_ends_at"]
    with schema_context("alpha"):
        (event,) = ActivityEvent.objects.filter(verb="webhook.secret_rotated")
        assert secret not in str(event.data) and created["secret"] not in str(event.data)


def test_test_event_deliveries_list_and_replay(api: Any) -> None:
    endpoint_id = create(api).json()["id"]
    accepted = api.post(f"/api/webhooks/{endpoint_id}/test/")
    assert accepted.status_code == 202
    delivery_id = accepted.json()["delivery_id"]
    with schema_context("alpha"):
        assert Event.objects.get().type == "test"
    replayed = api.post(f"/api/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay/")
    assert replayed.status_code == 202
    assert replayed.json()["event_id"] == accepted.json()["event_id"]

    listed = api.get(f"/api/webhooks/{endpoint_id}/deliveries/").json()
    assert [d["id"] for d in listed["results"]] == [replayed.json()["delivery_id"], delivery_id]
    first = listed["results"][0]
    assert first["type"] == "test" and first["status"] == "pending" and first["attempts"] == 0
    assert first["attempt_log"] == []
    assert api.post(f"/api/webhooks/{endpoint_id}/deliveries/999999/replay/").status_code == 404
    assert api.get(f"/api/webhooks/{endpoint_id}/deliveries/?page_size=²").status_code == 400


def test_a_disabled_endpoint_takes_no_test_and_no_replay(api: Any) -> None:
    endpoint_id = create(api).json()["id"]
    delivery_id = api.post(f"/api/webhooks/{endpoint_id}/test/").json()["delivery_id"]
    api.patch(f"/api/webhooks/{endpoint_id}/", {"enabled": False}, format="json")
    assert api.post(f"/api/webhooks/{endpoint_id}/test/").status_code == 409
    replay = api.post(f"/api/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay/")
    assert replay.status_code == 409


def test_deleting_an_endpoint_takes_its_deliveries_and_is_logged(api: Any) -> None:
    endpoint_id = create(api).json()["id"]
    api.post(f"/api/webhooks/{endpoint_id}/test/")
    assert api.delete(f"/api/webhooks/{endpoint_id}/").status_code == 204
    assert api.get(f"/api/webhooks/{endpoint_id}/").status_code == 404
    with schema_context("alpha"):
        assert not Delivery.objects.exists()
        assert ActivityEvent.objects.filter(verb="webhook.deleted").count() == 1


def test_an_auditor_reads_and_changes_nothing(auditor_a: dict[str, str]) -> None:
    endpoint = EndpointFactory.create(schema="alpha")
    auditor = client(TENANT_A, auditor_a["access"])
    assert auditor.get("/api/webhooks/").status_code == 200
    assert auditor.get(f"/api/webhooks/{endpoint.pk}/deliveries/").status_code == 200
    for method, path in [
        ("post", "/api/webhooks/"),
        ("patch", f"/api/webhooks/{endpoint.pk}/"),
        ("delete", f"/api/webhooks/{endpoint.pk}/"),
        ("post", f"/api/webhooks/{endpoint.pk}/test/"),
        ("post", f"/api/webhooks/{endpoint.pk}/rotate-secret/"),
    ]:
        assert getattr(auditor, method)(path, {}, format="json").status_code == 403


def test_a_member_is_refused(member_a: dict[str, str]) -> None:
    assert client(TENANT_A, member_a["access"]).get("/api/webhooks/").status_code == 403


def test_another_tenants_endpoints_do_not_exist_here(api: Any, tenant_b: Any) -> None:
    theirs = EndpointFactory.create(schema="beta")
    assert api.get(f"/api/webhooks/{theirs.pk + 1000}/").status_code == 404
    UserFactory.create(schema="beta", username="boss", role="admin")
    beta = client(TENANT_B, tokens(TENANT_B, "boss")["access"])
    mine = create(api).json()["id"]
    assert beta.get(f"/api/webhooks/{mine}/").status_code in (200, 404)
    assert [e["url"] for e in beta.get("/api/webhooks/").json()["results"]] == [theirs.url]
    # alpha's token on beta's host is no token there.
    assert (
        client(TENANT_B, api._credentials["HTTP_AUTHORIZATION"].split()[1])
        .get("/api/webhooks/")
        .status_code
        == 401
    )
