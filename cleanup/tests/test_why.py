"""Every matched user says why: last active when and through what, or never active since
joining (docs/architecture.md#what-counts-as-activity) — in the preview, the audit list and
its CSV."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.activity import activity_write
from accounts.tests.factories import UserFactory
from cleanup.tests.support import D, run, set_policy
from core.testing import TENANT_A, client
from tenants.models import Tenant


def test_the_preview_and_the_audit_say_what_each_user_was_last_active_through(
    in_tenant_a: Tenant, admin_a: dict[str, str]
) -> None:
    set_policy(in_tenant_a, action="deactivate")
    now = timezone.now()
    by_sso = UserFactory.create(username="by_sso", login_days_ago=D + 40)
    UserFactory.create(username="by_login", login_days_ago=D + 5)
    UserFactory.create(username="never", joined_days_ago=D)
    UserFactory.create(username="active", login_days_ago=1)
    sso_at, vpn_at = now - timedelta(days=D + 2), now - timedelta(days=D + 20)
    activity_write([by_sso.pk, by_sso.pk], ["sso", "vpn"], [sso_at, vpn_at])

    api = client(TENANT_A, admin_a["access"])
    sample = {
        u["username"]: u
        for u in api.post("/api/cleanup/preview/", {}, format="json").json()["sample"]
    }
    assert set(sample) == {"by_sso", "by_login", "never"}
    assert sample["by_sso"]["last_active_source"] == "sso"
    assert [a["source"] for a in sample["by_sso"]["activity"]] == ["sso", "vpn"]
    assert sample["by_login"]["last_active_source"] == "login"
    assert sample["by_login"]["activity"] == []
    assert sample["never"]["last_active_at"] is None
    assert sample["never"]["last_active_source"] is None
    assert sample["never"]["reason"] == "never_logged_in"

    report = run(in_tenant_a)
    audit: dict[str, Any] = {
        u["username"]: u for u in api.get(f"/api/reports/{report.pk}/users/").json()["results"]
    }
    assert audit["by_sso"]["last_active_source"] == "sso"
    assert audit["by_sso"]["last_active_at"] == sample["by_sso"]["last_active_at"]
    assert audit["never"]["last_active_source"] is None
    csv = b"".join(api.get(f"/api/reports/{report.pk}/users/?format=csv").streaming_content)
    rows = {line.split(",")[1]: line for line in csv.decode().splitlines()[1:]}
    assert rows["by_sso"].endswith(",sso") and rows["by_login"].endswith(",login")
    assert rows["never"].endswith(",,")
