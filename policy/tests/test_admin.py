"""The operators' Django admin on the root host."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db.models.signals import pre_save
from django.test import Client
from django_tenants.utils import schema_context

from policy.models import CleanupPolicy
from tenants.models import Tenant

pytestmark = pytest.mark.django_db

SUMMARY = {"last_report_id": 4242, "last_report_status": "failed", "last_report_users_removed": 3}


@pytest.fixture
def operators_admin(tenant_a: Tenant) -> Client:
    with schema_context("public"):
        get_user_model().objects.create_superuser("op", "op@x.test", "op-pass-123456")
    admin = Client(HTTP_HOST="localhost")
    login = {"username": "op", "password": "op-pass-123456", "next": "/admin/"}
    assert admin.post("/admin/login/", login).status_code == 302
    return admin


def form_data(form: Any) -> dict[str, Any]:
    """What a browser posts back for an unchanged admin form."""
    data: dict[str, Any] = {}
    for bound in form:
        value, widget = bound.value(), bound.field.widget
        if hasattr(widget, "widgets"):  # split date and time
            for index, part in enumerate(widget.decompress(value)):
                data[f"{bound.html_name}_{index}"] = "" if part is None else part
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        else:
            data[bound.html_name] = "" if value is None else value
    return data


def test_saving_a_policy_in_the_admin_keeps_a_run_summary_written_meanwhile(
    operators_admin: Client, tenant_a: Tenant
) -> None:
    url = f"/admin/policy/cleanuppolicy/{tenant_a.pk}/change/"
    page = operators_admin.get(url)
    assert page.status_code == 200
    data = {**form_data(page.context["adminform"].form), "inactive_days": 120}

    def run_finishes(sender: Any, instance: CleanupPolicy, **kwargs: Any) -> None:
        CleanupPolicy.objects.filter(pk=instance.pk).update(**SUMMARY)

    pre_save.connect(run_finishes, sender=CleanupPolicy)
    try:
        response = operators_admin.post(url, data)
    finally:
        pre_save.disconnect(run_finishes, sender=CleanupPolicy)

    assert response.status_code == 302, response.context["adminform"].form.errors
    policy = CleanupPolicy.objects.get(tenant=tenant_a)
    assert policy.inactive_days == 120 and policy.next_run_at is not None
    assert {name: getattr(policy, name) for name in SUMMARY} == SUMMARY


def test_the_admin_refuses_an_exempt_group_the_tenant_does_not_have(
    operators_admin: Client, tenant_a: Tenant
) -> None:
    from django.contrib.auth.models import Group

    with schema_context("alpha"):
        Group.objects.create(name="vip")
    url = f"/admin/policy/cleanuppolicy/{tenant_a.pk}/change/"
    data = form_data(operators_admin.get(url).context["adminform"].form)

    refused = operators_admin.post(url, {**data, "exempt_groups": "vip,vpi"})
    assert refused.status_code == 200
    assert "vpi" in str(refused.context["adminform"].form.errors["exempt_groups"])
    assert CleanupPolicy.objects.get(tenant=tenant_a).exempt_groups == []

    accepted = operators_admin.post(url, {**data, "exempt_groups": "vip"})
    assert accepted.status_code == 302
    assert CleanupPolicy.objects.get(tenant=tenant_a).exempt_groups == ["vip"]


def test_the_policys_old_admin_address_leads_to_its_new_one(
    operators_admin: Client, tenant_a: Tenant
) -> None:
    """The policy's admin pages moved with the model from the `tenants` app to `policy`;
    operators' bookmarks of the old pages (with their filters) still arrive."""
    old = operators_admin.get(f"/admin/tenants/cleanuppolicy/{tenant_a.pk}/change/")
    listing = operators_admin.get("/admin/tenants/cleanuppolicy/?enabled__exact=1")

    assert (old.status_code, old["Location"]) == (
        301,
        f"/admin/policy/cleanuppolicy/{tenant_a.pk}/change/",
    )
    assert listing["Location"] == "/admin/policy/cleanuppolicy/?enabled__exact=1"
    assert operators_admin.get(old["Location"]).status_code == 200


def test_a_tenant_host_has_no_policy_admin_old_or_new(tenant_a: Tenant) -> None:
    """Tenant hosts have their own admin site, without policies: the old address is not
    sent on to a page the tenant's admin cannot have (Django admin's login, then a 404)."""
    tenant_host = Client(HTTP_HOST="alpha.localhost")

    for path in ("/admin/tenants/cleanuppolicy/", "/admin/policy/cleanuppolicy/"):
        response = tenant_host.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
