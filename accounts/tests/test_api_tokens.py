"""API tokens and service accounts (docs/architecture.md#api-tokens): making them, using them,
and every way they stop working."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.api_tokens import LAST_USED_INTERVAL
from accounts.models import ApiToken, User
from accounts.tests.factories import UserFactory, api_token_make
from activity.models import ActivityEvent
from core.scopes import AUDITOR_SCOPES, PLATFORM_READ, POLICY_READ, POLICY_WRITE, TENANT_SCOPES
from core.testing import FULL_POLICY, PASSWORD, ROOT, TENANT_A, TENANT_B, client, tokens
from fleet.services.tenants import tenant_create
from policy.models import CleanupPolicy
from tenants.models import Tenant
from tenants.services import tenant_delete
from webhooks.models import Event
from webhooks.tests.factories import EndpointFactory


def alpha(username: str) -> User:
    with schema_context("alpha"):
        return get_user_model().objects.get(username=username)


def make(host: str, access: str, **body: Any) -> Any:
    body.setdefault("name", "nightly export")
    body.setdefault("scopes", [POLICY_READ])
    return client(host, access).post("/api/tokens/", body, format="json")


def token_row(prefix: str, schema: str = "alpha") -> ApiToken:
    with schema_context(schema):
        return ApiToken.objects.select_related("user").get(prefix=prefix)


# --- Making a token


def test_a_token_is_shown_once_and_only_its_hash_is_stored(admin_a: dict[str, str]) -> None:
    response = make(TENANT_A, admin_a["access"], scopes=[POLICY_READ, POLICY_WRITE])

    assert response.status_code == 201, response.content
    body = response.json()
    text = body["token"]
    assert text.startswith(f"cc_{body['prefix']}_") and len(text) == 3 + 8 + 1 + 40
    assert body["scopes"] == [POLICY_READ, POLICY_WRITE]
    assert body["status"] == "active" and body["owner"] == "admin"
    expires = timezone.datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=89, hours=23) < expires - timezone.now() <= timedelta(days=90)
    row = token_row(body["prefix"])
    secret = text.split("_", 2)[2]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM alpha.accounts_apitoken WHERE id = %s", [row.pk])
        stored = " ".join(map(str, cursor.fetchone()))
    assert secret not in stored and text not in stored
    listed = client(TENANT_A, admin_a["access"]).get("/api/tokens/").json()["results"]
    assert [t["prefix"] for t in listed] == [body["prefix"]] and "token" not in listed[0]
    with schema_context("alpha"):
        event = ActivityEvent.objects.get(verb="token.created")
    assert event.target == f"cc_{body['prefix']}" and secret not in str(event.data)

    assert client(TENANT_A, text).get("/api/cleanup/policy/").status_code == 200


@pytest.mark.parametrize("days", [0, 367, -1, "٣", "30", 30.0, True, 2**63, None, "1e3"], ids=repr)
def test_an_expiry_outside_1_to_366_whole_days_is_a_400(admin_a: dict[str, str], days: Any) -> None:
    response = make(TENANT_A, admin_a["access"], expires_in_days=days)

    assert response.status_code == 400
    assert "expires_in_days" in response.json()
    with schema_context("alpha"):
        assert not ApiToken.objects.exists()


def test_an_expiry_beyond_the_tenants_token_max_days_is_a_400_naming_it(
    admin_a: dict[str, str], tenant_a: Tenant
) -> None:
    CleanupPolicy.objects.filter(pk=tenant_a.pk).update(token_max_days=30)

    refused = make(TENANT_A, admin_a["access"], expires_in_days=31)
    made = make(TENANT_A, admin_a["access"], expires_in_days=30)

    assert refused.status_code == 400
    assert "token_max_days" in refused.json()["expires_in_days"][0]
    assert made.status_code == 201


def test_every_problem_of_a_new_token_is_named_at_once(auditor_a: dict[str, str]) -> None:
    response = make(
        TENANT_A, auditor_a["access"], name="", scopes=["cleanup:run"], expires_in_days=400
    )

    assert response.status_code == 400
    assert set(response.json()) == {"name", "scopes", "expires_in_days"}


@pytest.mark.parametrize(
    "scopes", [["policy:delete"], [], ["reports:read", "reports:read\x00"], "reports:read", [1]]
)
def test_scopes_not_in_the_list_are_a_400(admin_a: dict[str, str], scopes: Any) -> None:
    response = make(TENANT_A, admin_a["access"], scopes=scopes)

    assert response.status_code == 400 and "scopes" in response.json()


def test_a_tokens_scopes_never_exceed_its_owners_role(
    auditor_a: dict[str, str], member_a: dict[str, str]
) -> None:
    too_much = make(TENANT_A, auditor_a["access"], scopes=[POLICY_READ, "cleanup:run"])
    enough = make(TENANT_A, auditor_a["access"], scopes=list(AUDITOR_SCOPES))
    member = make(TENANT_A, member_a["access"], scopes=[POLICY_READ])

    assert too_much.status_code == 400
    assert "cleanup:run" in too_much.json()["scopes"][0]
    assert enough.status_code == 201
    assert member.status_code == 400
    with schema_context("alpha"):
        assert ApiToken.objects.count() == 1


def test_a_demoted_owners_token_loses_what_the_role_no_longer_allows(
    admin_a: dict[str, str], tenant_a: Tenant
) -> None:
    UserFactory.create(schema="alpha", username="boss", role="admin")
    text = make(TENANT_A, tokens(TENANT_A, "boss")["access"], scopes=[POLICY_READ, POLICY_WRITE])
    text = text.json()["token"]
    api = client(TENANT_A, text)
    assert api.patch("/api/cleanup/policy/", {"notice_days": 7}, format="json").status_code == 200

    with schema_context("alpha"):
        User.objects.filter(username="boss").update(role="auditor")

    refused = api.patch("/api/cleanup/policy/", {"notice_days": 8}, format="json")
    assert refused.status_code == 403
    assert api.get("/api/cleanup/policy/").status_code == 200
    assert CleanupPolicy.objects.get(pk=tenant_a.pk).notice_days == 7


def test_a_token_cannot_make_a_token_nor_grant_a_role(admin_a: dict[str, str]) -> None:
    text = make(TENANT_A, admin_a["access"], scopes=list(TENANT_SCOPES)).json()["token"]
    api = client(TENANT_A, text)
    member = UserFactory.create(schema="alpha", username="climber")

    assert make(TENANT_A, text).status_code == 403
    assert (
        api.put(f"/api/users/{member.pk}/role/", {"role": "admin"}, format="json").status_code
        == 403
    )
    assert api.post("/api/service-accounts/", {"username": "x"}, format="json").status_code == 403
    assert alpha("climber").role == ""
    # It may list and revoke tokens (rotation's last step: revoking itself).
    assert api.get("/api/tokens/").status_code == 200
    own = api.get("/api/tokens/").json()["results"][0]["id"]
    assert api.delete(f"/api/tokens/{own}/").status_code == 204
    assert api.get("/api/me/").status_code == 401


# --- Service accounts


def test_an_admin_makes_a_service_account_and_its_token(admin_a: dict[str, str]) -> None:
    api = client(TENANT_A, admin_a["access"])
    made = api.post(
        "/api/service-accounts/", {"username": "exporter", "name": "CSV export"}, format="json"
    )

    assert made.status_code == 201, made.content
    assert made.json()["role"] == "admin" and made.json()["tokens_active"] == 0
    account = alpha("exporter")
    assert account.kind == "service" and not account.has_usable_password() and not account.email
    token = make(TENANT_A, admin_a["access"], owner="exporter", scopes=["reports:read"])
    assert token.status_code == 201 and token.json()["owner"] == "exporter"
    assert client(TENANT_A, token.json()["token"]).get("/api/reports/").status_code == 200
    listed = api.get("/api/service-accounts/").json()["results"]
    assert [(a["username"], a["tokens_active"]) for a in listed] == [("exporter", 1)]


@pytest.mark.parametrize("taken", ["admin", "ADMIN", "exporter", "Exporter"])
def test_a_service_account_username_collision_is_a_400(admin_a: dict[str, str], taken: str) -> None:
    api = client(TENANT_A, admin_a["access"])
    api.post("/api/service-accounts/", {"username": "exporter"}, format="json")

    response = api.post("/api/service-accounts/", {"username": taken}, format="json")

    assert response.status_code == 400 and "username" in response.json()
    with schema_context("alpha"):
        assert User.objects.filter(kind="service").count() == 1


@pytest.mark.parametrize("username", ["", "a b", "x\x00", "ü" * 151, "a/b", "٣\x00"])
def test_a_service_account_username_follows_djangos_rule(
    admin_a: dict[str, str], username: str
) -> None:
    response = client(TENANT_A, admin_a["access"]).post(
        "/api/service-accounts/", {"username": username}, format="json"
    )

    assert response.status_code == 400


def test_owner_must_be_a_service_account_of_this_tenant(
    admin_a: dict[str, str], auditor_a: dict[str, str], tenant_b: Tenant
) -> None:
    UserFactory.create(schema="alpha", username="person")
    UserFactory.create(schema="beta", username="robot", kind="service")
    UserFactory.create(schema="alpha", username="robot2", kind="service")

    for owner in ("person", "robot", "nobody"):
        response = make(TENANT_A, admin_a["access"], owner=owner)
        assert response.status_code == 400 and "owner" in response.json(), owner
    # An auditor makes tokens for themselves only.
    assert make(TENANT_A, auditor_a["access"], owner="robot2").status_code == 400
    with schema_context("alpha"):
        assert not ApiToken.objects.exists()


def test_a_service_account_cannot_sign_in_even_with_a_password(tenant_a: Tenant) -> None:
    robot = UserFactory.create(schema="alpha", username="robot", kind="service", is_staff=True)
    with schema_context("alpha"):
        robot.set_password(PASSWORD)
        robot.save()

    response = client(TENANT_A).post(
        "/api/auth/token/", {"username": "robot", "password": PASSWORD}, format="json"
    )
    admin = Client(HTTP_HOST=TENANT_A).post(
        "/admin/login/", {"username": "robot", "password": PASSWORD}
    )

    assert response.status_code == 401
    assert admin.status_code == 200  # the form again, with its error: not logged in


def test_deleting_a_service_account_takes_its_tokens(admin_a: dict[str, str]) -> None:
    robot = UserFactory.create(schema="alpha", username="robot", kind="service", role="admin")
    _, text = api_token_make(schema="alpha", user=robot, scopes=["reports:read"])
    keeper = UserFactory.create(schema="alpha", username="keeper", role="admin")
    kept, kept_text = api_token_make(schema="alpha", user=keeper, scopes=["reports:read"])

    response = client(TENANT_A, admin_a["access"]).delete("/api/service-accounts/robot/")

    assert response.status_code == 204
    assert client(TENANT_A, text).get("/api/reports/").status_code == 401
    assert client(TENANT_A, kept_text).get("/api/reports/").status_code == 200
    with schema_context("alpha"):
        assert list(ApiToken.objects.values_list("pk", flat=True)) == [kept.pk]
        event = ActivityEvent.objects.get(verb="service_account.deleted")
    assert event.target == "robot"
    # A person is no service account.
    assert (
        client(TENANT_A, admin_a["access"]).delete("/api/service-accounts/keeper/").status_code
        == 404
    )


def test_service_accounts_are_for_tenant_admins(auditor_a: dict[str, str]) -> None:
    assert client(TENANT_A, auditor_a["access"]).get("/api/service-accounts/").status_code == 403


def test_the_last_admin_rule_counts_people_only(admin_a: dict[str, str]) -> None:
    UserFactory.create(schema="alpha", username="robot", kind="service", role="admin")
    admin = alpha("admin")

    response = client(TENANT_A, admin_a["access"]).put(
        f"/api/users/{admin.pk}/role/", {"role": None}, format="json"
    )

    assert response.status_code == 409


# --- Using a token, and every refusal


def test_another_tenants_token_is_refused(admin_a: dict[str, str], tenant_b: Tenant) -> None:
    text = make(TENANT_A, admin_a["access"]).json()["token"]

    assert client(TENANT_B, text).get("/api/cleanup/policy/").status_code == 401
    assert client(ROOT, text).get("/api/me/").status_code == 401


def test_a_token_row_carried_into_another_tenant_is_refused(tenant_b: Tenant) -> None:
    """A copy of a token row in another schema (a restore, a hand copy) still names the
    tenant it was made for."""
    admin_b = UserFactory.create(schema="beta", username="admin2", role="admin")
    _, text = api_token_make(schema="beta", user=admin_b, scopes=["policy:read"])
    with schema_context("beta"):
        ApiToken.objects.update(tenant_id=Tenant.objects.get(schema_name="alpha").pk)

    response = client(TENANT_B, text).get("/api/cleanup/policy/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Token is not valid for this host."}


def test_a_re_created_tenants_token_is_refused(live_db: None) -> None:
    schema = f"reborn_{uuid.uuid4().hex[:8]}"
    host = f"{schema.replace('_', '-')}.localhost"

    def create() -> Tenant:
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        return tenant_create(
            schema_name=schema,
            name="Reborn",
            admin_username="admin",
            admin_email="admin@reborn.test",
            admin_password=PASSWORD,
        )

    old = create()
    text = make(host, tokens(host, "admin")["access"]).json()["token"]
    with schema_context(schema):
        row = ApiToken.objects.values().get()
    tenant_delete(tenant=old)
    new = create()
    try:
        # The old row restored into the new tenant's schema (say, from a backup).
        with schema_context(schema):
            ApiToken.objects.create(**row)
        assert client(host, text).get("/api/me/").status_code == 401
    finally:
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        tenant_delete(tenant=new)


def test_an_expired_token_is_refused(tenant_a: Tenant) -> None:
    boss = UserFactory.create(schema="alpha", username="boss", role="admin")
    _, text = api_token_make(schema="alpha", user=boss, scopes=["policy:read"], days=-0.001)

    response = client(TENANT_A, text).get("/api/cleanup/policy/")

    assert response.status_code == 401
    assert response.json() == {"detail": "This API token has expired."}


def test_a_revoked_token_is_refused(admin_a: dict[str, str]) -> None:
    EndpointFactory.create(schema="alpha")
    body = make(TENANT_A, admin_a["access"]).json()
    api = client(TENANT_A, admin_a["access"])

    assert api.delete(f"/api/tokens/{body['id']}/").status_code == 204
    assert api.delete(f"/api/tokens/{body['id']}/").status_code == 204  # idempotent

    assert client(TENANT_A, body["token"]).get("/api/me/").status_code == 401
    row = token_row(body["prefix"])
    assert row.revoked_reason == "owner" and row.revoked_by == "admin"
    with schema_context("alpha"):
        assert ActivityEvent.objects.filter(verb="token.revoked").count() == 1
        (event,) = Event.objects.filter(type="token.revoked")
        assert event.data == {
            "token_id": body["id"],
            "prefix": f"cc_{body['prefix']}",
            "owner": "admin",
            "reason": "owner",
        }


def test_an_admin_revokes_a_service_accounts_token_but_not_a_persons(
    admin_a: dict[str, str],
) -> None:
    robot = UserFactory.create(schema="alpha", username="robot", kind="service", role="admin")
    person = UserFactory.create(schema="alpha", username="colleague", role="admin")
    robots, _ = api_token_make(schema="alpha", user=robot, scopes=["reports:read"])
    persons, _ = api_token_make(schema="alpha", user=person, scopes=["reports:read"])
    api = client(TENANT_A, admin_a["access"])

    assert api.delete(f"/api/tokens/{robots.pk}/").status_code == 204
    assert api.delete(f"/api/tokens/{persons.pk}/").status_code == 404

    assert token_row(robots.prefix).revoked_reason == "admin"
    assert token_row(persons.prefix).revoked_at is None


def test_a_suspended_tenants_token_is_refused(admin_a: dict[str, str], tenant_a: Tenant) -> None:
    text = make(TENANT_A, admin_a["access"]).json()["token"]
    Tenant.objects.filter(pk=tenant_a.pk).update(is_active=False)

    response = client(TENANT_A, text).get("/api/cleanup/policy/")

    assert response.status_code == 403
    assert response.json() == {"detail": "This tenant is suspended."}


@pytest.mark.parametrize(
    "header",
    [
        "Bearer cc_",
        "Bearer cc_abcdefgh_",
        "Bearer cc_abcdefgh_" + "a" * 39,
        "Bearer cc_abcdefgh_" + "a" * 41,
        "Bearer cc_ABCDEFGH_" + "a" * 40,
        "Bearer cc_abcdefg\x00_" + "a" * 40,
        "Bearer cc_abcdefgh_" + "a" * 39 + "\x00",
        "Bearer cc_abcdefgh_" + "٣" * 40,
        "Bearer cc_abcdefgh_" + "a" * 40 + "\n",
        "Bearer cc_abcdefgh_" + "a" * 5000,
        "Bearer cc_abcdefgh_" + "é" * 40,
    ],
)
def test_a_malformed_token_is_a_401_and_nothing_else(tenant_a: Tenant, header: str) -> None:
    api = Client(HTTP_HOST=TENANT_A, HTTP_AUTHORIZATION=header.encode().decode("latin-1"))

    response = api.get("/api/cleanup/policy/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid API token."}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_right_prefix_with_a_wrong_secret_says_no_more_than_a_wrong_prefix(
    tenant_a: Tenant,
) -> None:
    boss = UserFactory.create(schema="alpha", username="boss", role="admin")
    token, _ = api_token_make(schema="alpha", user=boss, scopes=["policy:read"])

    wrong = client(TENANT_A, f"cc_{token.prefix}_{'a' * 40}").get("/api/cleanup/policy/")

    assert wrong.status_code == 401 and wrong.json() == {"detail": "Invalid API token."}


def test_failed_token_attempts_are_throttled_per_client_address(
    tenant_a: Tenant, settings: Any
) -> None:
    settings.TOKEN_FAILURES_PER_IP = 3
    boss = UserFactory.create(schema="alpha", username="boss", role="admin")
    _, good = api_token_make(schema="alpha", user=boss, scopes=["policy:read"])
    guesser = Client(HTTP_HOST=TENANT_A, REMOTE_ADDR="203.0.113.9")
    other = Client(HTTP_HOST=TENANT_A, REMOTE_ADDR="198.51.100.7")

    statuses = [
        guesser.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer cc_guessing_{'x' * 40}").status_code
        for _ in range(4)
    ]
    blocked = guesser.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {good}")
    fine = other.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {good}")

    assert statuses == [401, 401, 401, 429]
    assert blocked.status_code == 429  # even a right token: the limit is no oracle
    assert fine.status_code == 200


def test_last_used_is_written_at_most_once_a_minute(tenant_a: Tenant) -> None:
    boss = UserFactory.create(schema="alpha", username="boss", role="admin")
    token, text = api_token_make(schema="alpha", user=boss, scopes=["policy:read"])
    api = Client(HTTP_HOST=TENANT_A, HTTP_AUTHORIZATION=f"Bearer {text}", REMOTE_ADDR="192.0.2.4")

    api.get("/api/me/")
    first = token_row(token.prefix)
    assert first.last_used_at is not None and first.last_used_ip == "192.0.2.4"
    recent = timezone.now() - LAST_USED_INTERVAL + timedelta(seconds=5)
    with schema_context("alpha"):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    Client(HTTP_HOST=TENANT_A, HTTP_AUTHORIZATION=f"Bearer {text}", REMOTE_ADDR="192.0.2.5").get(
        "/api/me/"
    )
    assert token_row(token.prefix).last_used_at == recent
    stale = timezone.now() - LAST_USED_INTERVAL - timedelta(seconds=1)
    with schema_context("alpha"):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    Client(HTTP_HOST=TENANT_A, HTTP_AUTHORIZATION=f"Bearer {text}", REMOTE_ADDR="192.0.2.5").get(
        "/api/me/"
    )
    again = token_row(token.prefix)
    assert again.last_used_at is not None and again.last_used_at > stale
    assert again.last_used_ip == "192.0.2.5"


def test_a_persons_token_use_counts_as_activity(tenant_a: Tenant) -> None:
    person = UserFactory.create(schema="alpha", username="scripter", role="auditor")
    _, text = api_token_make(schema="alpha", user=person, scopes=["policy:read"])

    client(TENANT_A, text).get("/api/cleanup/policy/")

    assert alpha("scripter").last_seen is not None


# --- Revocation with the owner


def test_deactivating_the_owner_revokes_the_token_for_good(admin_a: dict[str, str]) -> None:
    boss = UserFactory.create(schema="alpha", username="boss", role="admin")
    token, text = api_token_make(schema="alpha", user=boss, scopes=["policy:read"])
    bystander = UserFactory.create(schema="alpha", username="bystander", role="admin")
    kept, kept_text = api_token_make(schema="alpha", user=bystander, scopes=["policy:read"])

    with schema_context("alpha"):  # as the Django admin's form saves it
        boss.is_active = False
        boss.save()
        boss.is_active = True
        boss.save()

    assert client(TENANT_A, text).get("/api/cleanup/policy/").status_code == 401
    assert token_row(token.prefix).revoked_reason == "owner_deactivated"
    assert client(TENANT_A, kept_text).get("/api/cleanup/policy/").status_code == 200
    assert token_row(kept.prefix).revoked_at is None


def test_deactivating_the_owner_in_sql_stops_the_token_on_its_next_use(tenant_a: Tenant) -> None:
    boss = UserFactory.create(schema="alpha", username="boss", role="admin")
    token, text = api_token_make(schema="alpha", user=boss, scopes=["policy:read"])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE alpha.accounts_user SET is_active = false WHERE id = %s", [boss.pk])

    assert client(TENANT_A, text).get("/api/cleanup/policy/").status_code == 401
    assert token_row(token.prefix).revoked_reason == "owner_deactivated"
    with connection.cursor() as cursor:
        cursor.execute("UPDATE alpha.accounts_user SET is_active = true WHERE id = %s", [boss.pk])
    assert client(TENANT_A, text).get("/api/cleanup/policy/").status_code == 401


# --- Operators


def test_an_operator_makes_a_platform_token(operator: dict[str, str]) -> None:
    refused = make(ROOT, operator["access"], scopes=[POLICY_READ])
    made = make(ROOT, operator["access"], scopes=[PLATFORM_READ])

    assert refused.status_code == 400
    assert made.status_code == 201
    api = client(ROOT, made.json()["token"])
    assert api.get("/api/platform/summary/").status_code == 200
    missing = api.post("/api/platform/cleanup/trigger/", {"tenants": []}, format="json")
    assert missing.status_code == 403
    assert missing.json()["scope"] == "platform:run"
    assert make(ROOT, operator["access"], owner="someone").status_code == 400


def test_a_policy_put_without_the_token_fields_keeps_them(
    admin_a: dict[str, str], tenant_a: Tenant
) -> None:
    CleanupPolicy.objects.filter(pk=tenant_a.pk).update(token_max_days=30, token_inactive_days=None)

    response = client(TENANT_A, admin_a["access"]).put(
        "/api/cleanup/policy/", FULL_POLICY, format="json"
    )

    assert response.status_code == 200
    policy = CleanupPolicy.objects.get(pk=tenant_a.pk)
    assert (policy.token_max_days, policy.token_inactive_days) == (30, None)


@pytest.mark.parametrize(
    "fields",
    [
        {"token_max_days": 0},
        {"token_max_days": 367},
        {"token_inactive_days": 0},
        {"token_inactive_days": "٣"},
        {"token_max_days": None},
    ],
    ids=repr,
)
def test_the_token_policy_fields_are_bounded(admin_a: dict[str, str], fields: Any) -> None:
    response = client(TENANT_A, admin_a["access"]).patch(
        "/api/cleanup/policy/", fields, format="json"
    )

    assert response.status_code == 400 and set(response.json()) == set(fields)


def test_a_token_in_a_log_line_keeps_only_its_prefix() -> None:
    from core.logging import redact

    line = "GET /api/x?t=cc_abcdefgh_" + "Z" * 40 + " 401"

    assert redact(line) == "GET /api/x?t=cc_abcdefgh_[redacted] 401"


def test_a_refused_token_is_never_echoed(tenant_a: Tenant, caplog: Any) -> None:
    text = "cc_abcdefgh_" + "Q" * 40

    response = client(TENANT_A, text).get("/api/cleanup/policy/?token=" + text)

    assert text not in response.content.decode()
    assert "Q" * 40 not in caplog.text
