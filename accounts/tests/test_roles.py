"""Roles, not the staff flag: what a tenant admin, an auditor, a member and a staff user
without a role may do in the API; who grants roles, and that a tenant always keeps an admin."""

import importlib
from dataclasses import asdict, dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts.models import User
from accounts.tests.factories import UserFactory
from activity.models import ActivityEvent
from cleanup.models import CleanupAuditEntry, CleanupExemption, CleanupReport
from cleanup.services.exemptions import exemption_create
from cleanup.tests.factories import CleanupAuditEntryFactory, CleanupReportFactory
from core.api import TenantAdminApi
from core.testing import FULL_POLICY, ROOT, TENANT_A, TENANT_B, client, tokens
from policy.models import CleanupPolicy
from policy.rules import POLICY_FIELDS

pytestmark = pytest.mark.django_db

ADMIN_PASSWORD = "admin-pass-123"
# The body of the reported request: a real, unwarned, uncapped deletion.
FINDING = {"action": "delete", "dry_run": False, "notice_days": 0, "max_removal_ratio": 1.0}

Endpoint = tuple[str, str, Any]  # method, path (ids as {names}), body

READS: list[Endpoint] = [
    ("get", "/api/reports/", None),
    ("get", "/api/reports/latest/", None),
    ("get", "/api/reports/{finished}/", None),
    ("get", "/api/reports/{finished}/users/", None),
    ("get", "/api/reports/{finished}/users/?format=csv", None),
    ("get", "/api/reports/{finished}/notices/", None),
    ("get", "/api/reports/{finished}/undo/", None),
    ("get", "/api/cleanup/policy/", None),
    ("post", "/api/cleanup/preview/", {"inactive_days": 30}),
    ("get", "/api/exemptions/", None),
    ("get", "/api/activity/", None),
]
WRITES: list[Endpoint] = [
    ("post", "/api/cleanup/trigger/", {"dry_run": True}),
    ("patch", "/api/cleanup/policy/", FINDING),
    ("put", "/api/cleanup/policy/", {**FULL_POLICY, "inactive_days": 7}),
    ("post", "/api/reports/{awaiting}/approve/", None),
    ("post", "/api/reports/{awaiting}/reject/", None),
    ("post", "/api/reports/{finished}/undo/", None),
    ("post", "/api/reports/{finished}/users/{gone}/reactivate/", None),
    ("post", "/api/exemptions/", {"username": "gone", "reason": "on leave"}),
    ("delete", "/api/exemptions/{exemption}/", None),
    ("put", "/api/users/{member}/role/", {"role": "admin"}),
]


@dataclass
class World:
    """alpha with something for every endpoint to act on, by id."""

    finished: int  # a real deactivation run that removed `gone`
    awaiting: int  # a run waiting for approval
    gone: int
    exemption: int
    member: int


@pytest.fixture
def world(tenant_a: Any) -> World:
    with schema_context("alpha"):
        now = timezone.now()
        gone = User.objects.create_user("gone", email="gone@alpha.test", is_active=False)
        member = User.objects.create_user("member", password="a-long-enough-password")
        User.objects.create_user("ceo")
        finished = CleanupReportFactory.create(
            started_at=now - timedelta(minutes=2),
            finished_at=now - timedelta(minutes=1),
            users_eligible=3,
            users_matched=1,
            users_deactivated=1,
            users_removed=1,
        )
        CleanupAuditEntryFactory.create(
            report=finished,
            user_id=gone.pk,
            username="gone",
            email="gone@alpha.test",
            date_joined=now - timedelta(days=400),
        )
        awaiting = CleanupReportFactory.create(
            status="awaiting_approval",
            trigger="schedule",
            users_eligible=10,
            users_matched=8,
            users_removed=8,
        )
        exemption = exemption_create(username="ceo", reason="board", expires_at=None, actor="x")
        return World(finished.pk, awaiting.pk, gone.pk, exemption.pk, member.pk)


def call(access: str, method: str, path: str, body: Any, world: World, host: str = TENANT_A) -> Any:
    return getattr(client(host, access), method)(path.format(**asdict(world)), body, format="json")


def alpha_state() -> dict[str, Any]:
    """Everything an endpoint of alpha could write."""
    with schema_context("alpha"):
        return {
            "policy": CleanupPolicy.objects.filter(tenant__schema_name="alpha")
            .values(*POLICY_FIELDS)
            .get(),
            "reports": list(
                CleanupReport.objects.order_by("pk").values_list("pk", "status", "approved_by")
            ),
            "audit": list(
                CleanupAuditEntry.objects.order_by("pk").values_list("pk", "restored_at")
            ),
            "exemptions": list(
                CleanupExemption.objects.order_by("pk").values_list("pk", "user_id")
            ),
            "users": list(User.objects.order_by("pk").values_list("pk", "is_active", "role")),
            "events": list(ActivityEvent.objects.order_by("pk").values_list("pk", flat=True)),
        }


def role_of(schema: str, username: str) -> str:
    with schema_context(schema):
        return User.objects.get(username=username).role


def events(schema: str = "alpha") -> list[ActivityEvent]:
    with schema_context(schema):
        return list(ActivityEvent.objects.filter(verb="user.role_changed").order_by("pk"))


# --- The finding: is_staff is no tenant admin


@pytest.mark.parametrize(
    "flags", [{"is_staff": True}, {"is_staff": True, "is_superuser": True}], ids=["staff", "super"]
)
def test_a_staff_user_without_a_role_cannot_change_the_policy(
    world: World, flags: dict[str, bool]
) -> None:
    """Reproduced: a staff user whom Django admin refuses everything got 200 on this PATCH.
    Staff (and superuser within the tenant's schema) open Django admin; the API asks for
    the tenant-admin role."""
    UserFactory.create(schema="alpha", username="staffer", **flags)
    access = tokens(TENANT_A, "staffer")["access"]
    before = alpha_state()

    response = client(TENANT_A, access).patch("/api/cleanup/policy/", FINDING, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "This needs the tenant-admin role."}
    assert alpha_state() == before


@pytest.mark.parametrize(("method", "path", "body"), READS + WRITES)
def test_a_staff_user_without_a_role_gets_nothing_in_the_api(
    world: World, method: str, path: str, body: Any
) -> None:
    UserFactory.create(schema="alpha", username="staffer", is_staff=True)
    access = tokens(TENANT_A, "staffer")["access"]
    before = alpha_state()

    assert call(access, method, path, body, world).status_code == 403
    assert alpha_state() == before


# --- Auditors read, and only read


@pytest.mark.parametrize(("method", "path", "body"), READS)
def test_an_auditor_reads_reports_audit_lists_the_policy_exemptions_and_activity(
    world: World, auditor_a: dict[str, str], method: str, path: str, body: Any
) -> None:
    before = alpha_state()

    response = call(auditor_a["access"], method, path, body, world)

    assert response.status_code == 200, response.content
    assert alpha_state() == before


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_an_auditor_writes_nothing(
    world: World, auditor_a: dict[str, str], method: str, path: str, body: Any
) -> None:
    before = alpha_state()

    response = call(auditor_a["access"], method, path, body, world)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "The auditor role may only read; this needs the tenant-admin role."
    }
    assert alpha_state() == before


@pytest.mark.parametrize(("method", "path", "body"), READS + WRITES)
def test_a_member_gets_nothing(
    world: World, member_token: str, method: str, path: str, body: Any
) -> None:
    before = alpha_state()

    response = call(member_token, method, path, body, world)

    assert response.status_code == 403
    if "format=csv" not in path:
        reads = (method, path, body) in READS
        assert response.json()["detail"] == (
            "This needs the tenant-admin or auditor role."
            if reads
            else "This needs the tenant-admin role."
        )
    assert alpha_state() == before


@pytest.mark.parametrize(("method", "path", "body"), READS + WRITES)
def test_a_tenant_admin_may_call_every_endpoint(
    world: World, admin_a: dict[str, str], method: str, path: str, body: Any
) -> None:
    # Some answer 409 (a run is already waiting), none refuses the caller.
    assert call(admin_a["access"], method, path, body, world).status_code not in (401, 403)


@pytest.fixture
def member_token(world: World) -> str:
    return tokens(TENANT_A, "member")["access"]


# --- Granting roles


def test_an_admin_grants_and_takes_back_a_role_logged_and_in_force_at_once(
    world: World, admin_a: dict[str, str], member_token: str
) -> None:
    api = client(TENANT_A, admin_a["access"])
    assert call(member_token, "get", "/api/reports/", None, world).status_code == 403

    granted = api.put(f"/api/users/{world.member}/role/", {"role": "auditor"}, format="json")

    assert granted.status_code == 200
    assert granted.json() == {"id": world.member, "username": "member", "role": "auditor"}
    assert role_of("alpha", "member") == "auditor"
    # The member's token is the same: the role is read from their row on each request.
    assert call(member_token, "get", "/api/reports/", None, world).status_code == 200
    assert call(member_token, "patch", "/api/cleanup/policy/", FINDING, world).status_code == 403

    taken = api.put(f"/api/users/{world.member}/role/", {"role": None}, format="json")

    assert taken.status_code == 200 and taken.json()["role"] is None
    assert role_of("alpha", "member") == ""
    assert call(member_token, "get", "/api/reports/", None, world).status_code == 403
    assert [(e.actor, e.target, e.data) for e in events()] == [
        ("admin", "member", {"user_id": world.member, "old": None, "new": "auditor"}),
        ("admin", "member", {"user_id": world.member, "old": "auditor", "new": None}),
    ]


def test_a_new_admin_may_do_everything(
    world: World, admin_a: dict[str, str], member_token: str
) -> None:
    api = client(TENANT_A, admin_a["access"])
    granted = api.put(f"/api/users/{world.member}/role/", {"role": "admin"}, format="json")
    assert granted.status_code == 200

    response = call(member_token, "patch", "/api/cleanup/policy/", {"inactive_days": 120}, world)

    assert response.status_code == 200 and response.json()["inactive_days"] == 120


def test_setting_the_role_a_user_already_holds_changes_and_logs_nothing(
    world: World, admin_a: dict[str, str]
) -> None:
    before = alpha_state()

    response = client(TENANT_A, admin_a["access"]).put(
        f"/api/users/{world.member}/role/", {"role": None}, format="json"
    )

    assert response.status_code == 200 and response.json()["role"] is None
    assert alpha_state() == before


@pytest.mark.parametrize("caller", ["auditor", "member", "staffer"])
def test_only_an_admin_grants_roles(world: World, caller: str) -> None:
    if caller != "member":
        fields = {"role": "auditor"} if caller == "auditor" else {"is_staff": True}
        UserFactory.create(schema="alpha", username=caller, **fields)
    access = tokens(TENANT_A, caller)["access"]
    with schema_context("alpha"):
        own_id = User.objects.get(username=caller).pk
    before = alpha_state()

    for user_id in (own_id, world.member):
        response = client(TENANT_A, access).put(
            f"/api/users/{user_id}/role/", {"role": "admin"}, format="json"
        )
        assert response.status_code == 403

    assert alpha_state() == before


@pytest.mark.parametrize("role", [None, "auditor"])
def test_the_last_admin_cannot_be_demoted(
    world: World, admin_a: dict[str, str], role: str | None
) -> None:
    # An admin who can no longer sign in does not count.
    UserFactory.create(schema="alpha", username="former", role="admin", is_active=False)
    with schema_context("alpha"):
        admin_id = User.objects.get(username="admin").pk
    before = alpha_state()

    response = client(TENANT_A, admin_a["access"]).put(
        f"/api/users/{admin_id}/role/", {"role": role}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "'admin' is this tenant's last active admin: give another user the admin "
        "role first."
    }
    assert alpha_state() == before


def test_an_admin_may_step_down_while_another_admin_remains(
    world: World, admin_a: dict[str, str]
) -> None:
    UserFactory.create(schema="alpha", username="deputy", role="admin")
    with schema_context("alpha"):
        admin_id = User.objects.get(username="admin").pk
    api = client(TENANT_A, admin_a["access"])

    response = api.put(f"/api/users/{admin_id}/role/", {"role": "auditor"}, format="json")

    assert response.status_code == 200 and role_of("alpha", "admin") == "auditor"
    # From the next request on, the former admin reads and no more.
    assert api.get("/api/cleanup/policy/").status_code == 200
    assert api.patch("/api/cleanup/policy/", FINDING, format="json").status_code == 403
    # ...and the last admin left is kept.
    deputy = tokens(TENANT_A, "deputy")["access"]
    with schema_context("alpha"):
        deputy_id = User.objects.get(username="deputy").pk
    refused = client(TENANT_A, deputy).put(
        f"/api/users/{deputy_id}/role/", {"role": None}, format="json"
    )
    assert refused.status_code == 409


@pytest.mark.parametrize(
    "body",
    [{"role": "boss"}, {}, {"role": 1}, {"role": True}, {"role": ["admin"]}, {"role": ""}],
    ids=["unknown", "missing", "number", "bool", "list", "blank"],
)
def test_a_bad_role_is_a_400_naming_the_field(
    world: World, admin_a: dict[str, str], body: dict[str, Any]
) -> None:
    before = alpha_state()

    response = client(TENANT_A, admin_a["access"]).put(
        f"/api/users/{world.member}/role/", body, format="json"
    )

    assert response.status_code == 400 and "role" in response.json()
    assert alpha_state() == before


@pytest.mark.parametrize("user_id", [999_999, 2**63])
def test_an_unknown_user_is_a_404(world: World, admin_a: dict[str, str], user_id: int) -> None:
    response = client(TENANT_A, admin_a["access"]).put(
        f"/api/users/{user_id}/role/", {"role": "admin"}, format="json"
    )
    assert response.status_code == 404 and response.json() == {"detail": "No such user."}


def test_an_admin_of_one_tenant_sets_no_role_in_another(
    world: World, admin_a: dict[str, str], tenant_b: Any
) -> None:
    # An id only beta has, and the id beta's first admin shares with alpha's.
    UserFactory.create(schema="beta", username="outsider", id=424_242)
    before = alpha_state()

    # alpha's token on beta's host: refused before any lookup.
    for user_id in (424_242, 1):
        response = client(TENANT_B, admin_a["access"]).put(
            f"/api/users/{user_id}/role/", {"role": None}, format="json"
        )
        assert response.status_code == 401
    # On alpha's host the id names alpha's users only.
    response = client(TENANT_A, admin_a["access"]).put(
        "/api/users/424242/role/", {"role": "admin"}, format="json"
    )
    assert response.status_code == 404

    assert role_of("beta", "outsider") == "" and role_of("beta", "admin") == "admin"
    assert events("beta") == []
    assert alpha_state() == before


def test_the_root_host_has_no_tenant_role_endpoint(operator: dict[str, str]) -> None:
    response = client(ROOT, operator["access"]).put(
        "/api/users/1/role/", {"role": "admin"}, format="json"
    )
    assert response.status_code == 404


# --- Operators grant roles too


def test_an_operator_grants_a_role_in_a_tenant_logged_in_its_log(
    world: World, operator: dict[str, str]
) -> None:
    response = client(ROOT, operator["access"]).put(
        "/api/platform/tenants/alpha/users/member/role/", {"role": "admin"}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"id": world.member, "username": "member", "role": "admin"}
    assert role_of("alpha", "member") == "admin"
    assert [(e.actor, e.target) for e in events()] == [("operator (operator)", "member")]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/platform/tenants/nope/users/member/role/", {"role": "admin"}, 404),
        ("/api/platform/tenants/alpha/users/nobody/role/", {"role": "admin"}, 404),
        ("/api/platform/tenants/alpha/users/admin/role/", {"role": None}, 409),
        ("/api/platform/tenants/alpha/users/member/role/", {"role": "root"}, 400),
        ("/api/platform/tenants/alpha/users/mem%00ber/role/", {"role": "admin"}, 404),
    ],
    ids=["unknown tenant", "unknown user", "last admin", "bad role", "nul"],
)
def test_the_operators_role_endpoint_refuses_with_a_clear_answer(
    world: World, operator: dict[str, str], path: str, body: Any, status: int
) -> None:
    before = alpha_state()

    response = client(ROOT, operator["access"]).put(path, body, format="json")

    assert response.status_code == status and response.json()
    assert alpha_state() == before


def test_the_operators_role_endpoint_is_for_operators_on_the_root_host(
    world: World, admin_a: dict[str, str]
) -> None:
    UserFactory.create(schema="public", username="viewer", is_staff=True)
    viewer = tokens(ROOT, "viewer")["access"]
    path = "/api/platform/tenants/alpha/users/member/role/"

    assert client(ROOT, viewer).put(path, {"role": "admin"}, format="json").status_code == 403
    assert (
        client(ROOT, admin_a["access"]).put(path, {"role": "admin"}, format="json").status_code
        == 401
    )
    assert (
        client(TENANT_A, admin_a["access"]).put(path, {"role": "admin"}, format="json").status_code
        == 404
    )
    assert role_of("alpha", "member") == ""


# --- /api/me/ says the role


@pytest.mark.parametrize(
    ("host", "schema", "fields", "role"),
    [
        (TENANT_A, "alpha", {"role": "admin"}, "admin"),
        (TENANT_A, "alpha", {"role": "auditor"}, "auditor"),
        (TENANT_A, "alpha", {}, None),
        (TENANT_A, "alpha", {"is_staff": True, "is_superuser": True}, None),
        (ROOT, "public", {"is_superuser": True, "is_staff": True}, "operator"),
        (ROOT, "public", {"is_staff": True}, None),
    ],
    ids=["admin", "auditor", "member", "staff", "operator", "public-staff"],
)
def test_me_says_the_role(
    tenant_a: Any, host: str, schema: str, fields: dict[str, Any], role: str | None
) -> None:
    UserFactory.create(schema=schema, username="someone", **fields)
    access = tokens(host, "someone")["access"]

    me = client(host, access).get("/api/me/").json()

    assert (me["role"], me["is_tenant_admin"], me["is_operator"]) == (
        role,
        role == "admin",
        role == "operator",
    )


# --- Django admin on the tenant host


@pytest.fixture
def tenant_admin_site(world: World) -> Any:
    site = Client(HTTP_HOST=TENANT_A)
    login = {"username": "admin", "password": ADMIN_PASSWORD, "next": "/admin/"}
    assert site.post("/admin/login/", login).status_code == 302
    yield site
    connection.set_schema_to_public()  # type: ignore[attr-defined]


def change_form(site: Client, user_id: int, **changes: Any) -> Any:
    """Post the user's change form as Django admin shows it, with `changes`."""
    url = f"/admin/accounts/user/{user_id}/change/"
    form = site.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and not form.fields[name].disabled and value is not None
    }
    data["groups"] = data["user_permissions"] = []
    data.update(changes)
    for flag in ("is_active", "is_staff", "is_superuser"):
        if data.get(flag) is False:
            del data[flag]  # an unchecked checkbox is not posted
    return site.post(url, data)


def test_the_tenant_user_admin_edits_the_role_through_the_service(
    tenant_admin_site: Client, world: World
) -> None:
    page = tenant_admin_site.get(f"/admin/accounts/user/{world.member}/change/")
    assert page.status_code == 200 and "role" in page.context["adminform"].form.fields

    saved = change_form(tenant_admin_site, world.member, role="auditor", first_name="Mem")

    assert saved.status_code == 302
    assert role_of("alpha", "member") == "auditor"
    assert [(e.actor, e.target, e.data["new"]) for e in events()] == [
        ("admin", "member", "auditor")
    ]


@pytest.mark.parametrize("change", [{"role": ""}, {"is_active": False}])
def test_the_tenant_user_admin_keeps_the_last_admin(
    tenant_admin_site: Client, world: World, change: dict[str, Any]
) -> None:
    with schema_context("alpha"):
        admin_id = User.objects.get(username="admin").pk
    before = alpha_state()

    refused = change_form(tenant_admin_site, admin_id, **change)

    assert refused.status_code == 200
    assert set(change) <= set(refused.context["adminform"].form.errors)
    assert alpha_state() == before


def test_the_role_migration_gives_the_public_schemas_operators_no_tenant_role(
    tenant_a: Any,
) -> None:
    """On the root host operators are known by `is_superuser`; a tenant role means nothing
    there. (Tenant schemas: accounts/tests/test_roles_live.py.)"""
    migration = importlib.import_module("accounts.migrations.0003_user_role")
    UserFactory.create(schema="public", username="op", is_superuser=True, is_staff=True)
    UserFactory.create(schema="alpha", username="staffer", is_staff=True)
    editor = SimpleNamespace(connection=connection)

    for schema in ("public", "alpha"):
        with schema_context(schema):
            migration.staff_become_admins(django_apps, editor)

    assert role_of("public", "op") == "" and role_of("alpha", "staffer") == "admin"


def test_a_tenant_view_that_names_no_auditor_methods_is_for_admins_alone(tenant_a: Any) -> None:
    """Fail closed: a view that forgets to opt auditors in refuses them, reads included."""

    class Forgotten(TenantAdminApi):
        def get(self, request: Any) -> Response:
            return Response({})

    auditor = UserFactory.create(schema="alpha", username="reader", role="auditor")
    admin = UserFactory.create(schema="alpha", username="boss", role="admin")
    with schema_context("alpha"):
        answers = {}
        for user in (auditor, admin):
            request = APIRequestFactory().get("/")
            force_authenticate(request, user=user)
            answers[user.username] = Forgotten.as_view()(request).status_code
    assert answers == {"reader": 403, "boss": 200}
