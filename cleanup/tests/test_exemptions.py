"""Exemptions (docs/architecture.md#oversight): an exempt user is never matched until the exemption
expires; the
endpoints that make and remove them, with every refusal; the tenant's Django admin."""

from datetime import datetime, timedelta
from typing import Any, NamedTuple

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.tests.factories import UserFactory
from activity.models import ActivityEvent
from cleanup.models import CleanupAuditEntry, CleanupExemption, CleanupReport
from cleanup.selectors import eligible_users, matched_users
from cleanup.services.execution import cleanup_run
from cleanup.services.exemptions import exemption_create
from cleanup.services.start import cleanup_report_create
from cleanup.tests.factories import CleanupExemptionFactory
from conftest import ADMIN_PASSWORD
from core.testing import ROOT, TENANT_A, TENANT_B, client, tokens
from policy.models import CleanupPolicy
from policy.rules import PolicySpec
from tenants.models import Tenant

pytestmark = pytest.mark.django_db

D = 90
DAY = timedelta(days=1)


def inactive_user(username: str, now: datetime) -> User:
    return UserFactory.create(
        username=username, now=now, login_days_ago=D + 10, joined_days_ago=400
    )


def exempt(user: User, expires_at: datetime | None, reason: str = "on sabbatical") -> None:
    CleanupExemptionFactory.create(user=user, reason=reason, expires_at=expires_at)


def apply_policy(tenant: Tenant, **fields: Any) -> None:
    defaults = {
        "inactive_days": D,
        "max_removal_ratio": 1.0,
        "dry_run": False,
        # No warning period: these runs remove at once, whatever the notice rules.
        "notice_days": 0,
    }
    CleanupPolicy.objects.filter(tenant=tenant).update(**{**defaults, **fields})


def run(tenant: Tenant, batch_size: int = 1000) -> CleanupReport:
    report = cleanup_report_create(schema_name=tenant.schema_name, trigger="manual")
    return cleanup_run(report_id=report.pk, batch_size=batch_size)


class Case(NamedTuple):
    """One inactive user and their exemption (None: none), relative to now."""

    expires_in: timedelta | None
    exempt: bool
    removed: bool


CASES = {
    "for_good": Case(expires_in=None, exempt=True, removed=False),
    "until_next_month": Case(expires_in=30 * DAY, exempt=True, removed=False),
    "expired_yesterday": Case(expires_in=-DAY, exempt=True, removed=True),
    "never_exempted": Case(expires_in=None, exempt=False, removed=True),
}


@pytest.fixture
def population(in_tenant_a: Tenant) -> dict[str, User]:
    now = timezone.now()
    users = {}
    for name, case in CASES.items():
        users[name] = inactive_user(name, now)
        if case.exempt:
            exempt(users[name], None if case.expires_in is None else now + case.expires_in)
    return users


@pytest.mark.parametrize("action", ["deactivate", "delete"])
@pytest.mark.parametrize("batch_size", [1000, 1])
def test_a_run_keeps_users_with_an_exemption_in_force_and_removes_the_others(
    in_tenant_a: Tenant, population: dict[str, User], action: str, batch_size: int
) -> None:
    apply_policy(in_tenant_a, action=action)

    report = run(in_tenant_a, batch_size=batch_size)

    removed = {name for name, case in CASES.items() if case.removed}
    if action == "deactivate":
        gone = set(
            User.objects.filter(username__in=CASES, is_active=False).values_list(
                "username", flat=True
            )
        )
    else:
        gone = set(CASES) - set(
            User.objects.filter(username__in=CASES).values_list("username", flat=True)
        )
    assert gone == removed
    assert (
        User.objects.filter(username__in={"for_good", "until_next_month"}, is_active=True).count()
        == 2
    )
    audited = set(
        CleanupAuditEntry.objects.filter(report=report).values_list("username", flat=True)
    )
    assert audited == removed
    assert report.status == "succeeded"
    # Exempt users are not eligible: the cap's denominator leaves them out too.
    assert (report.users_eligible, report.users_matched) == (len(CASES) - 2, len(removed))


def test_an_exempt_user_is_matched_once_the_exemption_expires(in_tenant_a: Tenant) -> None:
    apply_policy(in_tenant_a, action="deactivate")
    now = timezone.now()
    ceo = inactive_user("ceo", now)
    colleague = inactive_user("colleague", now)
    exempt(ceo, now + 30 * DAY)

    first = run(in_tenant_a)
    ceo.refresh_from_db()
    colleague.refresh_from_db()
    assert (ceo.is_active, colleague.is_active) == (True, False)
    assert list(
        CleanupAuditEntry.objects.filter(report=first).values_list("username", flat=True)
    ) == ["colleague"]

    # A month later the exemption has run out.
    CleanupExemption.objects.filter(user=ceo).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    second = run(in_tenant_a)

    ceo.refresh_from_db()
    assert ceo.is_active is False
    assert list(
        CleanupAuditEntry.objects.filter(report=second).values_list("username", flat=True)
    ) == ["ceo"]


def test_an_exemption_protects_until_the_instant_it_expires(in_tenant_a: Tenant) -> None:
    now = timezone.now()
    ceo = inactive_user("ceo", now)
    expiry = now + 7 * DAY
    exempt(ceo, expiry)
    spec = PolicySpec(inactive_days=D)

    def matched(at: datetime) -> bool:
        return matched_users(spec, at).filter(pk=ceo.pk).exists()

    assert not matched(expiry - timedelta(microseconds=1))
    assert matched(expiry)  # expired at its expiry, as a token is


def test_exempt_users_are_left_out_of_eligibility_and_the_preview(
    in_tenant_a: Tenant, admin_a: dict[str, str]
) -> None:
    now = timezone.now()
    exempt(inactive_user("ceo", now), None)
    inactive_user("sleepy", now)
    spec = PolicySpec(inactive_days=D)

    assert set(eligible_users(spec, now).values_list("username", flat=True)) == {"sleepy"}
    preview = client(TENANT_A, admin_a["access"]).post("/api/cleanup/preview/", {}, format="json")
    body = preview.json()
    assert (body["users_eligible"], body["users_matched"]) == (1, 1)
    assert [u["username"] for u in body["sample"]] == ["sleepy"]


# --- The endpoints


@pytest.fixture
def api(admin_a: dict[str, str]) -> Any:
    return client(TENANT_A, admin_a["access"])


def create(api: Any, body: Any) -> Any:
    return api.post("/api/exemptions/", body, format="json")


def future(days: int = 30) -> str:
    return (timezone.now() + days * DAY).isoformat()


def events(schema: str = "alpha", verb: str | None = None) -> list[ActivityEvent]:
    with schema_context(schema):
        found = ActivityEvent.objects.order_by("id")
        return list(found.filter(verb=verb) if verb else found)


def test_an_admin_exempts_a_user_and_lists_them(api: Any) -> None:
    user = UserFactory.create(schema="alpha", username="ceo")
    expires = future()

    response = create(api, {"username": "ceo", "reason": "  Sabbatical  ", "expires_at": expires})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user_id"] == user.pk and body["username"] == "ceo"
    assert body["reason"] == "Sabbatical" and body["created_by"] == "admin"
    assert body["expired"] is False
    assert datetime.fromisoformat(body["expires_at"]) == datetime.fromisoformat(expires)
    listed = api.get("/api/exemptions/").json()
    assert listed["count"] == 1 and listed["results"] == [body]
    assert set(body) == {
        "id",
        "user_id",
        "username",
        "reason",
        "expires_at",
        "expired",
        "created_by",
        "created_at",
    }
    (event,) = events(verb="exemption.created")
    assert (event.actor, event.target) == ("admin", "ceo")
    assert event.data == {"exemption_id": body["id"], "reason": "Sabbatical", "expires_at": expires}


def test_without_an_expiry_the_exemption_is_for_good(api: Any) -> None:
    UserFactory.create(schema="alpha", username="ceo")
    response = create(api, {"username": "ceo", "reason": "Board member"})
    assert response.status_code == 201 and response.json()["expires_at"] is None
    assert (
        create(api, {"username": "ceo", "reason": "again", "expires_at": None}).status_code == 400
    )


def test_the_list_is_paginated_newest_first_and_flags_expired_ones(api: Any) -> None:
    with schema_context("alpha"):
        now = timezone.now()
        for i in range(3):
            exempt(User.objects.create(username=f"u{i}"), now + (2 * i - 1) * DAY)  # u0 expired

    page = api.get("/api/exemptions/?page_size=2").json()
    rest = api.get("/api/exemptions/?page_size=2&page=2").json()

    assert page["count"] == 3 and page["next"] and rest["previous"]
    assert [e["username"] for e in page["results"] + rest["results"]] == ["u2", "u1", "u0"]
    assert [e["expired"] for e in page["results"] + rest["results"]] == [False, False, True]


def test_an_expired_exemption_is_replaced_by_a_new_one(api: Any) -> None:
    with schema_context("alpha"):
        exempt(User.objects.create(username="ceo"), timezone.now() - DAY, reason="old")

    response = create(api, {"username": "ceo", "reason": "new"})

    assert response.status_code == 201
    with schema_context("alpha"):
        assert list(CleanupExemption.objects.values_list("reason", flat=True)) == ["new"]
    (event,) = events(verb="exemption.created")
    assert event.data["replaced_expired"]["reason"] == "old"


class Refusal(NamedTuple):
    body: Any
    field: str


NUMERALS = "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in "2031-01-01T00:00:00Z")
REFUSALS = {
    "unknown user": Refusal({"username": "nobody", "reason": "x"}, "username"),
    "user of another tenant": Refusal({"username": "only_in_beta", "reason": "x"}, "username"),
    "username differs in case": Refusal({"username": "CEO", "reason": "x"}, "username"),
    "empty reason": Refusal({"username": "ceo", "reason": ""}, "reason"),
    "whitespace reason": Refusal({"username": "ceo", "reason": " \t\n "}, "reason"),
    "missing reason": Refusal({"username": "ceo"}, "reason"),
    "huge reason": Refusal({"username": "ceo", "reason": "x" * 501}, "reason"),
    "NUL in reason": Refusal({"username": "ceo", "reason": "a\x00b"}, "reason"),
    "reason not a string": Refusal({"username": "ceo", "reason": 7}, "reason"),
    "reason a list": Refusal({"username": "ceo", "reason": ["x"]}, "reason"),
    "username not a string": Refusal({"username": 1, "reason": "x"}, "username"),
    "username an object": Refusal({"username": {"$ne": ""}, "reason": "x"}, "username"),
    "huge username": Refusal({"username": "u" * 10_000, "reason": "x"}, "username"),
    "past expiry": Refusal(
        {"username": "ceo", "reason": "x", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"
    ),
    "expiry a word": Refusal({"username": "ceo", "reason": "x", "expires_at": "now"}, "expires_at"),
    "expiry a number": Refusal(
        {"username": "ceo", "reason": "x", "expires_at": 4102444800}, "expires_at"
    ),
    "expiry a bool": Refusal({"username": "ceo", "reason": "x", "expires_at": True}, "expires_at"),
    "expiry non-ASCII digits": Refusal(
        {"username": "ceo", "reason": "x", "expires_at": NUMERALS}, "expires_at"
    ),
    "expiry out of range": Refusal(
        {"username": "ceo", "reason": "x", "expires_at": "99999-01-01T00:00:00Z"}, "expires_at"
    ),
    "expiry past year 9999 in UTC": Refusal(
        {"username": "ceo", "reason": "x", "expires_at": "9999-12-31T23:59:59-01:00"}, "expires_at"
    ),
    "expiry huge string": Refusal(
        {"username": "ceo", "reason": "x", "expires_at": "2031" * 100_000}, "expires_at"
    ),
    "expiry month 13": Refusal(
        {"username": "ceo", "reason": "x", "expires_at": "2031-13-01T00:00:00Z"}, "expires_at"
    ),
}


@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api: Any, refusal: Refusal) -> None:
    UserFactory.create(schema="alpha", username="ceo")
    UserFactory.create(schema="beta", username="only_in_beta")

    response = create(api, refusal.body)

    assert response.status_code == 400, response.content
    assert refusal.field in response.json()
    with schema_context("alpha"):
        assert not CleanupExemption.objects.exists()
    assert events() == []


def test_every_fields_problem_is_named_at_once(api: Any) -> None:
    response = create(
        api, {"username": "nobody", "reason": "  ", "expires_at": "2001-01-01T00:00:00Z"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"username", "reason", "expires_at"}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        # A blank username is refused by its shape, and the reason only by the service.
        ({"username": "", "reason": ""}, {"username", "reason"}),
        (
            {"username": "", "reason": " ", "expires_at": "now"},
            {"username", "reason", "expires_at"},
        ),
        (
            {"username": "nobody", "reason": "", "expires_at": "now"},
            {"username", "reason", "expires_at"},
        ),
        (
            {"username": 7, "reason": "x", "expires_at": "2001-01-01T00:00:00Z"},
            {"username", "expires_at"},
        ),
    ],
)
def test_malformed_and_refused_fields_are_named_at_once_and_nothing_written(
    api: Any, body: dict[str, Any], fields: set[str]
) -> None:
    response = create(api, body)

    assert response.status_code == 400
    assert set(response.json()) == fields
    with schema_context("alpha"):
        assert not CleanupExemption.objects.exists()
    assert events() == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[]", "application/json"),
        ("null", "application/json"),
        ("username=ceo&reason=x", "application/x-www-form-urlencoded"),
    ],
)
def test_a_malformed_body_is_a_4xx(api: Any, body: str, content_type: str) -> None:
    UserFactory.create(schema="alpha", username="ceo")
    response = api.post("/api/exemptions/", body, content_type=content_type)
    assert 400 <= response.status_code < 500
    with schema_context("alpha"):
        assert not CleanupExemption.objects.exists()


def test_a_user_exempt_already_is_a_400_and_the_first_exemption_stays(api: Any) -> None:
    UserFactory.create(schema="alpha", username="ceo")
    assert (
        create(api, {"username": "ceo", "reason": "first", "expires_at": future()}).status_code
        == 201
    )

    again = create(api, {"username": "ceo", "reason": "second"})

    assert again.status_code == 400 and "already exempt" in again.json()["username"][0]
    with schema_context("alpha"):
        assert list(CleanupExemption.objects.values_list("reason", flat=True)) == ["first"]
    assert len(events(verb="exemption.created")) == 1


def test_an_admin_removes_an_exemption(api: Any) -> None:
    UserFactory.create(schema="alpha", username="ceo")
    made = create(api, {"username": "ceo", "reason": "Sabbatical"}).json()

    response = api.delete(f"/api/exemptions/{made['id']}/")

    assert response.status_code == 204
    with schema_context("alpha"):
        assert not CleanupExemption.objects.exists()
    (event,) = events(verb="exemption.deleted")
    assert (event.actor, event.target) == ("admin", "ceo")
    assert event.data == {"exemption_id": made["id"], "reason": "Sabbatical", "expires_at": None}
    assert api.delete(f"/api/exemptions/{made['id']}/").status_code == 404


@pytest.mark.parametrize(
    "path", ["/api/exemptions/424242/", "/api/exemptions/99999999999999999999999/"]
)
def test_removing_an_unknown_exemption_is_a_404(api: Any, path: str) -> None:
    response = api.delete(path)
    assert response.status_code == 404 and "detail" in response.json()
    assert events() == []


@pytest.mark.parametrize(
    "path", ["/api/exemptions/abc/", "/api/exemptions/-1/", f"/api/exemptions/{chr(0x0661)}/"]
)
def test_an_odd_id_is_no_route(api: Any, path: str) -> None:
    assert api.delete(path).status_code == 404


def test_another_tenants_exemption_is_not_found_and_not_listed(api: Any, tenant_b: Tenant) -> None:
    with schema_context("beta"):
        exempt(User.objects.create(username="theirs"), None)
        theirs = CleanupExemption.objects.get()
    UserFactory.create(schema="beta", username="boss", role="admin")
    beta = client(TENANT_B, tokens(TENANT_B, "boss")["access"])

    assert api.get("/api/exemptions/").json()["count"] == 0
    assert api.delete(f"/api/exemptions/{theirs.pk}/").status_code == 404
    with schema_context("beta"):
        assert CleanupExemption.objects.filter(pk=theirs.pk).exists()
    # ...and beta's admin sees only beta's.
    assert [e["username"] for e in beta.get("/api/exemptions/").json()["results"]] == ["theirs"]


def test_alphas_token_cannot_use_betas_exemptions(
    admin_a: dict[str, str], tenant_b: Tenant
) -> None:
    response = client(TENANT_B, admin_a["access"]).get("/api/exemptions/")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/exemptions/"), ("post", "/api/exemptions/"), ("delete", "/api/exemptions/1/")],
)
def test_only_tenant_admins_may_use_the_endpoints(
    method: str, path: str, member_a: dict[str, str], operator: dict[str, str]
) -> None:
    assert getattr(client(TENANT_A), method)(path, format="json").status_code == 401
    member = getattr(client(TENANT_A, member_a["access"]), method)(path, format="json")
    assert member.status_code == 403
    # Tenant endpoints do not exist on the root host.
    assert getattr(client(ROOT, operator["access"]), method)(path, format="json").status_code == 404


def test_a_user_deleted_with_their_exemption_leaves_no_row(in_tenant_a: Tenant) -> None:
    user = UserFactory.create(schema="alpha", username="ceo")
    exemption_create(username="ceo", reason="x", expires_at=None, actor="admin")
    get_user_model().objects.filter(pk=user.pk).delete()
    assert not CleanupExemption.objects.exists()


# --- Django admin on the tenant host


@pytest.fixture
def tenant_admin_site(tenant_a: Tenant) -> Client:
    site = Client(HTTP_HOST=TENANT_A)
    login = {"username": "admin", "password": ADMIN_PASSWORD, "next": "/admin/"}
    assert site.post("/admin/login/", login).status_code == 302
    return site


def test_the_tenant_admin_site_adds_and_removes_exemptions_through_the_services(
    tenant_admin_site: Client,
) -> None:
    user = UserFactory.create(schema="alpha", username="ceo")
    assert tenant_admin_site.get("/admin/cleanup/cleanupexemption/").status_code == 200
    assert tenant_admin_site.get("/admin/cleanup/cleanupexemption/add/").status_code == 200
    assert (
        tenant_admin_site.get("/admin/cleanup/cleanupexemption/?status=expired").status_code == 200
    )

    refused = tenant_admin_site.post(
        "/admin/cleanup/cleanupexemption/add/",
        {"user": user.pk, "reason": "   ", "expires_at_0": "", "expires_at_1": ""},
    )
    assert refused.status_code == 200 and "reason" in refused.context["adminform"].form.errors

    added = tenant_admin_site.post(
        "/admin/cleanup/cleanupexemption/add/",
        {"user": user.pk, "reason": "Sabbatical", "expires_at_0": "", "expires_at_1": ""},
    )
    assert added.status_code == 302, added.context and added.context["adminform"].form.errors
    with schema_context("alpha"):
        exemption = CleanupExemption.objects.get()
    assert (exemption.reason, exemption.created_by) == ("Sabbatical", "admin")

    duplicate = tenant_admin_site.post(
        "/admin/cleanup/cleanupexemption/add/",
        {"user": user.pk, "reason": "again", "expires_at_0": "", "expires_at_1": ""},
    )
    assert duplicate.status_code == 200 and "user" in duplicate.context["adminform"].form.errors

    deleted = tenant_admin_site.post(
        f"/admin/cleanup/cleanupexemption/{exemption.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 302
    assert [e.verb for e in events()] == ["exemption.created", "exemption.deleted"]
    with schema_context("alpha"):
        assert not CleanupExemption.objects.exists()
