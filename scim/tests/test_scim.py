"""SCIM 2.0 at /scim/v2/ (docs/api.md#scim): who is kept and who is removed when the identity
provider provisions, and SCIM errors for everything else."""

import json
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django_tenants.utils import schema_context

from accounts.models import GroupExternalId, User
from accounts.tests.factories import UserFactory
from activity.models import ActivityEvent
from cleanup.models import CleanupAuditEntry, CleanupReport
from core.testing import ROOT, TENANT_A, TENANT_B, client
from policy.models import CleanupPolicy
from tenants.models import Tenant
from webhooks.models import Event
from webhooks.tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db
BASE = "/scim/v2"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


class Scim:
    """A SCIM client of one tenant host, as identity providers call it."""

    def __init__(self, host: str, access: str | None) -> None:
        self.api = client(host, access)

    def call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        data = None if body is None else json.dumps(body)
        return getattr(self.api, method)(
            f"{BASE}{path}", data=data, content_type="application/scim+json", **extra
        )


@pytest.fixture
def scim(admin_a: dict[str, str]) -> Scim:
    return Scim(TENANT_A, admin_a["access"])


def is_scim_error(response: Any, status: int, scim_type: str | None = None) -> bool:
    body = response.json()
    return (
        response.status_code == status
        and response["Content-Type"].startswith("application/scim+json")
        and body["schemas"] == [ERROR]
        and body["status"] == str(status)
        and (scim_type is None or body.get("scimType") == scim_type)
    )


def test_a_user_is_created_found_by_username_and_external_id_and_read(scim: Scim) -> None:
    created = scim.call(
        "post",
        "/Users",
        {
            "schemas": [USER],
            "userName": "ann@contoso.com",
            "externalId": "okta-ann",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "ann@contoso.com", "primary": True, "type": "work"}],
            "active": True,
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["userName"] == "ann@contoso.com" and body["externalId"] == "okta-ann"
    assert created["Location"].endswith(f"/scim/v2/Users/{body['id']}")
    for expression in ('userName eq "ANN@contoso.com"', 'externalId eq "okta-ann"'):
        found = scim.call("get", "/Users", QUERY_STRING=f"filter={expression}")
        assert found.status_code == 200
        assert [u["id"] for u in found.json()["Resources"]] == [body["id"]]
    assert (
        scim.call("get", "/Users", QUERY_STRING='filter=externalId eq "OKTA-ANN"').json()[
            "totalResults"
        ]
        == 0
    )
    assert scim.call("get", f"/Users/{body['id']}").json()["name"]["givenName"] == "Ann"
    with schema_context("alpha"):
        assert ActivityEvent.objects.filter(verb="user.provisioned", target="ann@contoso.com")
        assert not User.objects.get(username="ann@contoso.com").has_usable_password()
    duplicate = scim.call("post", "/Users", {"schemas": [USER], "userName": "ann@contoso.com"})
    assert is_scim_error(duplicate, 409, "uniqueness")


def test_lists_page_with_start_index_and_count(scim: Scim) -> None:
    with schema_context("alpha"):
        for n in range(5):
            UserFactory.create(username=f"page{n}")
    first = scim.call("get", "/Users", QUERY_STRING='filter=userName sw "page"&count=2').json()
    assert first["totalResults"] == 5 and first["itemsPerPage"] == 2
    assert [u["userName"] for u in first["Resources"]] == ["page0", "page1"]
    last = scim.call(
        "get", "/Users", QUERY_STRING='filter=userName sw "page"&startIndex=5&count=10'
    ).json()
    assert [u["userName"] for u in last["Resources"]] == ["page4"]
    # Out-of-range values are read as RFC 7644 says, never an error.
    odd = scim.call("get", "/Users", QUERY_STRING="startIndex=-1&count=1000000000")
    assert odd.status_code == 200 and odd.json()["startIndex"] == 1
    assert scim.call("get", "/Users", QUERY_STRING="count=-5").json()["itemsPerPage"] == 0


def _audit_of(username: str) -> list[CleanupAuditEntry]:
    return list(CleanupAuditEntry.objects.filter(username=username).order_by("id"))


@pytest.mark.parametrize(
    "operations",
    [
        # Entra ID: a capitalised op and the boolean as a string.
        [{"op": "Replace", "path": "active", "value": "False"}],
        # Entra ID again: no path, the attributes in the value.
        [{"op": "replace", "value": {"active": "False"}}],
        [{"op": "replace", "path": "active", "value": False}],
    ],
)
def test_active_false_deactivates_through_the_audited_path_and_keeps_everyone_else(
    scim: Scim, operations: list[dict[str, Any]]
) -> None:
    with schema_context("alpha"):
        leaver = UserFactory.create(username="leaver", login_days_ago=1)
        stayer = UserFactory.create(username="stayer", login_days_ago=1)
        version = leaver.token_version
    EndpointFactory.create(schema="alpha")
    response = scim.call(
        "patch", f"/Users/{leaver.pk}", {"schemas": [PATCH], "Operations": operations}
    )
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    with schema_context("alpha"):
        leaver.refresh_from_db()
        stayer.refresh_from_db()
        assert not leaver.is_active and stayer.is_active
        assert leaver.token_version == version + 1  # the leaver's sessions end
        (entry,) = _audit_of("leaver")
        assert (entry.reason, entry.action) == ("provisioning", "deactivated")
        assert entry.report.trigger == "scim" and entry.report.users_deactivated == 1
        assert _audit_of("stayer") == []
        event = ActivityEvent.objects.get(verb="user.deactivated")
        assert event.target == "leaver" and event.data["report_id"] == entry.report_id
        # The tenant's webhooks hear of it as of a run's deactivation, with its reason.
        (hook,) = Event.objects.filter(type="users.deactivated")
        assert hook.data["report_id"] == entry.report_id
        assert [(u["username"], u["reason"]) for u in hook.data["users"]] == [
            ("leaver", "provisioning")
        ]
    # Again: already inactive, nothing more is written.
    scim.call("patch", f"/Users/{leaver.pk}", {"schemas": [PATCH], "Operations": operations})
    with schema_context("alpha"):
        assert len(_audit_of("leaver")) == 1
        assert ActivityEvent.objects.filter(verb="user.deactivated").count() == 1
        assert Event.objects.filter(type="users.deactivated").count() == 1


def test_active_true_reactivates_and_restores_the_audit_row(scim: Scim) -> None:
    with schema_context("alpha"):
        user = UserFactory.create(username="back", login_days_ago=300)
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    on = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": "True"}]}
    scim.call("patch", f"/Users/{user.pk}", off)
    assert scim.call("patch", f"/Users/{user.pk}", on).json()["active"] is True
    with schema_context("alpha"):
        user.refresh_from_db()
        assert user.is_active and user.last_seen_source == "reactivated"
        (entry,) = _audit_of("back")
        assert entry.restored_at is not None and entry.restored_by == "admin (scim)"
        assert ActivityEvent.objects.filter(verb="user.reactivated", target="back").exists()


def test_put_replaces_what_is_stored_and_active_false_deactivates(scim: Scim) -> None:
    with schema_context("alpha"):
        user = UserFactory.create(username="carl", first_name="Carl", external_id="x-1")
    body = {"schemas": [USER], "userName": "carl", "active": False}
    response = scim.call("put", f"/Users/{user.pk}", body)
    assert response.status_code == 200, response.content
    assert "externalId" not in response.json() and "name" not in response.json()
    with schema_context("alpha"):
        user.refresh_from_db()
        assert (user.first_name, user.external_id, user.is_active) == ("", None, False)
        assert [e.reason for e in _audit_of("carl")] == ["provisioning"]


def test_delete_deletes_with_an_audit_row_and_keeps_the_others(scim: Scim) -> None:
    with schema_context("alpha"):
        gone = UserFactory.create(username="gone")
        kept = UserFactory.create(username="kept")
    assert scim.call("delete", f"/Users/{gone.pk}").status_code == 204
    with schema_context("alpha"):
        assert not User.objects.filter(pk=gone.pk).exists()
        assert User.objects.filter(pk=kept.pk).exists()
        (entry,) = _audit_of("gone")
        assert (entry.reason, entry.action) == ("provisioning", "deleted")
        assert ActivityEvent.objects.filter(verb="user.deleted", target="gone").exists()
    assert is_scim_error(scim.call("delete", f"/Users/{gone.pk}"), 404)
    assert is_scim_error(scim.call("get", f"/Users/{gone.pk}"), 404)


def test_the_last_active_admin_cannot_be_deprovisioned(scim: Scim) -> None:
    with schema_context("alpha"):
        admin = User.objects.get(username="admin")
        reports = CleanupReport.objects.count()
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    assert is_scim_error(scim.call("patch", f"/Users/{admin.pk}", off), 409)
    assert is_scim_error(scim.call("delete", f"/Users/{admin.pk}"), 409)
    with schema_context("alpha"):
        admin.refresh_from_db()
        assert admin.is_active and CleanupReport.objects.count() == reports


@pytest.mark.parametrize(
    "query",
    [
        'filter=userName eq "x" or 1 eq 1',
        'filter=userName co "\x00"',
        'filter=userName eq "x',
        "filter=userName eq x",
        'filter=password eq "x"',
        'filter=active eq "yes"',
        'filter=userName gt "a"',
        'filter=urn:evil:schema:userName eq "x"',
        "filter=" + "(" * 500 + 'userName eq "x"' + ")" * 500,
        'filter=userName eq "a"&filter=userName eq "b"',
        "startIndex=%D9%A3",  # an Arabic-Indic 3
        "count=1.5",
        "count=",
        "startIndex=1&startIndex=2",
    ],
)
def test_filter_injection_and_odd_queries_get_a_scim_400(scim: Scim, query: str) -> None:
    response = scim.call("get", "/Users", QUERY_STRING=query)
    assert is_scim_error(response, 400), (response.status_code, response.content)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/Users/{id}", {"schemas": [PATCH], "Operations": [{"op": "frob", "value": 1}]}),
        ("patch", "/Users/{id}", {"schemas": [PATCH], "Operations": "x"}),
        ("patch", "/Users/{id}", {"schemas": [PATCH], "Operations": [{"op": "remove"}]}),
        ("patch", "/Users/{id}", [1, 2]),
        ("post", "/Users", {"schemas": [USER]}),
        ("post", "/Users", {"schemas": [USER], "userName": "a b\x00"}),
        ("post", "/Users", {"schemas": [USER], "userName": "x" * 151}),
        ("post", "/Users", {"schemas": [USER], "userName": "ok", "externalId": "\x00"}),
        ("post", "/Users", {"schemas": [USER], "userName": "ok", "active": "maybe"}),
        ("post", "/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]}),
        ("put", "/Users/{id}", {"schemas": [USER], "userName": ""}),
    ],
)
def test_odd_bodies_get_a_scim_400_and_change_nothing(
    scim: Scim, method: str, path: str, body: Any
) -> None:
    with schema_context("alpha"):
        user = UserFactory.create(username="target")
        before = (User.objects.count(), CleanupAuditEntry.objects.count())
    response = scim.call(method, path.format(id=user.pk), body)
    assert is_scim_error(response, 400), (response.status_code, response.content)
    with schema_context("alpha"):
        assert (User.objects.count(), CleanupAuditEntry.objects.count()) == before
        assert User.objects.get(pk=user.pk).username == "target"


def test_malformed_json_is_a_scim_400(scim: Scim) -> None:
    response = scim.api.post(f"{BASE}/Users", data="{", content_type="application/scim+json")
    assert is_scim_error(response, 400, "invalidSyntax")


def test_groups_hold_members_and_an_exempt_group_cannot_be_renamed_or_deleted(
    scim: Scim, tenant_a: Tenant
) -> None:
    with schema_context("alpha"):
        ann = UserFactory.create(username="ann")
        bob = UserFactory.create(username="bob")
    group_schema = "urn:ietf:params:scim:schemas:core:2.0:Group"
    created = scim.call(
        "post",
        "/Groups",
        {"schemas": [group_schema], "displayName": "keep-me", "members": [{"value": str(ann.pk)}]},
    )
    assert created.status_code == 201, created.content
    group_id = created.json()["id"]
    add_bob = {
        "schemas": [PATCH],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": str(bob.pk)}]}],
    }
    assert scim.call("patch", f"/Groups/{group_id}", add_bob).status_code == 200
    remove_ann = {
        "schemas": [PATCH],
        "Operations": [{"op": "remove", "path": f'members[value eq "{ann.pk}"]'}],
    }
    members = scim.call("patch", f"/Groups/{group_id}", remove_ann).json()["members"]
    assert [m["value"] for m in members] == [str(bob.pk)]
    CleanupPolicy.objects.filter(tenant=tenant_a).update(exempt_groups=["keep-me"])
    rename = {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": "displayName", "value": "other"}],
    }
    assert is_scim_error(scim.call("patch", f"/Groups/{group_id}", rename), 409)
    assert is_scim_error(scim.call("delete", f"/Groups/{group_id}"), 409)
    with schema_context("alpha"):
        assert list(Group.objects.get(pk=group_id).user_set.values_list("username", flat=True)) == [
            "bob"
        ]
    found = scim.call("get", "/Groups", QUERY_STRING='filter=displayName eq "keep-me"').json()
    assert found["totalResults"] == 1
    unknown_member = {
        "schemas": [PATCH],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": "999999"}]}],
    }
    assert is_scim_error(scim.call("patch", f"/Groups/{group_id}", unknown_member), 400)


def test_a_group_keeps_its_external_id_unique_in_the_tenant(
    scim: Scim, admin_b: dict[str, str]
) -> None:
    group_schema = "urn:ietf:params:scim:schemas:core:2.0:Group"
    created = scim.call(
        "post", "/Groups", {"schemas": [group_schema], "displayName": "eng", "externalId": "00g1"}
    )
    assert created.status_code == 201, created.content
    group_id = created.json()["id"]
    assert created.json()["externalId"] == "00g1"
    assert scim.call("get", f"/Groups/{group_id}").json()["externalId"] == "00g1"
    found = scim.call("get", "/Groups", QUERY_STRING='filter=externalId eq "00g1"').json()
    assert [g["id"] for g in found["Resources"]] == [group_id]
    # Another group of this tenant cannot take it (and nothing of the refused create stays);
    # another tenant's group can.
    taken = scim.call(
        "post", "/Groups", {"schemas": [group_schema], "displayName": "ops", "externalId": "00g1"}
    )
    assert is_scim_error(taken, 409, "uniqueness")
    with schema_context("alpha"):
        assert not Group.objects.filter(name="ops").exists()
    beta = Scim(TENANT_B, admin_b["access"]).call(
        "post", "/Groups", {"schemas": [group_schema], "displayName": "eng", "externalId": "00g1"}
    )
    assert beta.status_code == 201, beta.content
    # PATCH replaces it; a control character is refused and changes nothing.
    replace = {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": "externalId", "value": "00g2"}],
    }
    assert scim.call("patch", f"/Groups/{group_id}", replace).json()["externalId"] == "00g2"
    bad = {"schemas": [group_schema], "displayName": "eng", "externalId": "a\x00b"}
    assert is_scim_error(scim.call("put", f"/Groups/{group_id}", bad), 400)
    assert scim.call("get", f"/Groups/{group_id}").json()["externalId"] == "00g2"
    # A PUT without it clears it (a replace stores what it is sent); the old id is free again.
    assert (
        "externalId"
        not in scim.call(
            "put", f"/Groups/{group_id}", {"schemas": [group_schema], "displayName": "eng"}
        ).json()
    )
    again = scim.call(
        "post", "/Groups", {"schemas": [group_schema], "displayName": "ops", "externalId": "00g2"}
    )
    assert again.status_code == 201, again.content
    with schema_context("alpha"):
        assert list(GroupExternalId.objects.values_list("external_id", flat=True)) == ["00g2"]
    # Deleting a group deletes its externalId with it; beta's is untouched.
    assert scim.call("delete", f"/Groups/{again.json()['id']}").status_code == 204
    with schema_context("alpha"):
        assert not GroupExternalId.objects.exists()
    with schema_context("beta"):
        assert list(GroupExternalId.objects.values_list("external_id", flat=True)) == ["00g1"]


def test_discovery_endpoints_describe_the_service(scim: Scim) -> None:
    config = scim.call("get", "/ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    types = scim.call("get", "/ResourceTypes").json()
    assert {t["id"] for t in types["Resources"]} == {"User", "Group"}
    schemas = scim.call("get", "/Schemas").json()["Resources"]
    user_schema = next(s for s in schemas if s["id"] == USER)
    assert {a["name"] for a in user_schema["attributes"]} == {
        "userName",
        "name",
        "emails",
        "active",
        "groups",
    }
    assert is_scim_error(scim.call("get", "/Nothing"), 404)
    assert is_scim_error(scim.call("post", "/.search", {}), 501)
    search = scim.call(
        "post",
        "/Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName eq "admin"',
            "attributes": ["userName"],
        },
    ).json()
    assert search["totalResults"] == 1
    assert set(search["Resources"][0]) == {"schemas", "id", "userName"}


def test_callers_without_access_get_scim_401_and_403(
    member_a: dict[str, str], auditor_a: dict[str, str]
) -> None:
    assert is_scim_error(Scim(TENANT_A, None).call("get", "/Users"), 401)
    assert is_scim_error(Scim(TENANT_A, "not-a-token").call("get", "/Users"), 401)
    for caller in (member_a, auditor_a):
        assert is_scim_error(Scim(TENANT_A, caller["access"]).call("get", "/Users"), 403)


def test_another_tenants_users_and_tokens_are_unreachable(
    scim: Scim, admin_a: dict[str, str], tenant_b: Tenant
) -> None:
    with schema_context("beta"):
        theirs = UserFactory.create(username="only_in_beta", external_id="b-1")
    assert (
        scim.call("get", "/Users", QUERY_STRING='filter=userName eq "only_in_beta"').json()[
            "totalResults"
        ]
        == 0
    )
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    with schema_context("alpha"):
        taken_here = User.objects.filter(pk=theirs.pk).exists()
    if not taken_here:
        assert is_scim_error(scim.call("patch", f"/Users/{theirs.pk}", off), 404)
        assert is_scim_error(scim.call("delete", f"/Users/{theirs.pk}"), 404)
    # Alpha's token on beta's host.
    refused = Scim(TENANT_B, admin_a["access"]).call("get", "/Users")
    assert is_scim_error(refused, 401)
    assert refused.json()["detail"] == "Token is not valid for this host."
    with schema_context("beta"):
        theirs.refresh_from_db()
        assert theirs.is_active
        assert not CleanupAuditEntry.objects.filter(username="only_in_beta").exists()


def test_the_root_host_has_no_scim(operator: dict[str, str]) -> None:
    assert is_scim_error(Scim(ROOT, operator["access"]).call("get", "/Users"), 404)


def _service_token(admin: dict[str, str], scopes: list[str]) -> str:
    """A token of a service account, as an admin makes one for the identity provider."""
    api = client(TENANT_A, admin["access"])
    username = f"idp-{len(scopes)}"
    account = api.post("/api/service-accounts/", {"username": username}, format="json")
    assert account.status_code == 201, account.content
    made = api.post(
        "/api/tokens/", {"name": "okta", "scopes": scopes, "owner": username}, format="json"
    )
    assert made.status_code == 201, made.content
    return str(made.json()["token"])


def test_the_identity_provider_calls_with_a_token_of_scope_scim_and_one_without_gets_403(
    admin_a: dict[str, str],
) -> None:
    with schema_context("alpha"):
        UserFactory.create(username="carol", login_days_ago=1)
    allowed = Scim(TENANT_A, _service_token(admin_a, ["scim"]))
    listed = allowed.call("get", "/Users", QUERY_STRING='filter=userName eq "carol"')
    assert listed.status_code == 200 and listed.json()["totalResults"] == 1

    refused = Scim(TENANT_A, _service_token(admin_a, ["reports:read", "audit:read"]))
    for method, path, body in [
        ("get", "/Users", None),
        ("post", "/Users", {"schemas": [USER], "userName": "mallory"}),
    ]:
        response = refused.call(method, path, body)
        assert is_scim_error(response, 403), response.content
        assert "scim" in response.json()["detail"]
    with schema_context("alpha"):
        assert not User.objects.filter(username="mallory").exists()
    # Another tenant's SCIM does not know either token.
    assert (
        Scim(TENANT_B, _service_token(admin_a, ["scim", "reports:read", "audit:read"]))
        .call("get", "/Users")
        .status_code
        == 401
    )
