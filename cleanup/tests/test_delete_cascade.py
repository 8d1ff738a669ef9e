"""A `delete` run removes users set-based; it must leave exactly what Django's own
`user.delete()` (the collector) leaves: every on_delete rule of every relation to users."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models.deletion import Collector
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import ApiToken, User, UserActivitySource
from cleanup.services.execution import cleanup_run
from cleanup.services.removal import delete_cascading
from cleanup.services.start import cleanup_report_create
from cleanup.tests.factories import CleanupExemptionFactory
from policy.models import CleanupPolicy
from tenants.models import Tenant


def user_with_everything(name: str, last_login: Any) -> User:
    """A user with a row in every table that points at users."""
    user = User.objects.create(username=name, last_login=last_login)
    user.groups.add(Group.objects.get_or_create(name="team")[0])
    user.user_permissions.add(Permission.objects.order_by("pk").first())
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(Group),
        object_id="1",
        object_repr=name,
        action_flag=ADDITION,
    )
    token = OutstandingToken.objects.create(
        user=user, jti=f"jti-{name}", token=f"token-{name}", expires_at=timezone.now()
    )
    BlacklistedToken.objects.create(token=token)
    # Its per-source activity (a row written directly: last_seen, which the rule reads, stays).
    UserActivitySource.objects.create(user=user, source="sso", last_at=last_login or timezone.now())
    ApiToken.objects.create(
        user=user,
        name=name,
        prefix=name[:8].ljust(8, "0"),
        secret_hash="0" * 64,
        scopes=["reports:read"],
        tenant_id=0,
        created_at=timezone.now(),
        created_by=name,
        expires_at=timezone.now(),
    )
    return user


def leftovers(user_id: int, name: str) -> dict[str, Any]:
    return {
        "user": User.objects.filter(pk=user_id).exists(),
        "groups": User.groups.through.objects.filter(user_id=user_id).count(),
        "permissions": User.user_permissions.through.objects.filter(user_id=user_id).count(),
        "admin_log": LogEntry.objects.filter(user_id=user_id).count(),
        "token_user": OutstandingToken.objects.filter(jti=f"jti-{name}")
        .values_list("user_id", flat=True)
        .get(),
        "blacklisted": BlacklistedToken.objects.filter(token__jti=f"jti-{name}").count(),
        "activity_sources": UserActivitySource.objects.filter(user_id=user_id).count(),
        "api_tokens": ApiToken.objects.filter(user_id=user_id).count(),
    }


def test_a_delete_run_leaves_what_djangos_collector_leaves(in_tenant_a: Tenant) -> None:
    now = timezone.now()
    by_run = user_with_everything("by_run", now - timedelta(days=200))
    by_django = user_with_everything("by_django", now - timedelta(days=200))
    kept = user_with_everything("kept", now - timedelta(days=1))
    CleanupPolicy.objects.filter(tenant=in_tenant_a).update(
        action="delete", dry_run=False, max_removal_ratio=1.0
    )
    kept_before = leftovers(kept.pk, "kept")

    by_django_id = by_django.pk
    User.objects.filter(pk=by_django_id).delete()  # Django's collector, for reference
    # ... and a run, which must not touch `by_django`'s rows any further.
    report = cleanup_report_create(schema_name="alpha", trigger="manual")
    report = cleanup_run(report_id=report.pk)

    assert report.status == "succeeded", report.error
    assert report.users_removed == 1
    expected = leftovers(by_django_id, "by_django")
    assert expected == {
        "user": False,
        "groups": 0,
        "permissions": 0,
        "admin_log": 0,
        "token_user": None,  # SET_NULL: the token stays, so does its blacklisting
        "blacklisted": 1,
        "activity_sources": 0,
        "api_tokens": 0,  # CASCADE: an API token dies with its owner
    }
    assert leftovers(by_run.pk, "by_run") == expected
    assert leftovers(kept.pk, "kept") == kept_before
    assert Group.objects.filter(name="team").exists()


def test_the_set_based_delete_visits_every_relation_the_collector_visits(
    in_tenant_a: Tenant,
) -> None:
    """Should a new model point at users, this fails until the set-based delete handles
    it the way the collector does (or the relation's on_delete raises, see below)."""
    user = user_with_everything("probe", None)
    # Only here: an exempt user is never removed by a run, but the delete must still handle
    # the relation (an operator may delete an exempt account some other way).
    CleanupExemptionFactory.create(user=user, reason="probe", created_by="test")
    collector = Collector(using="default")
    collector.collect([user])
    touched = {model._meta.db_table for model in collector.data}
    touched |= {qs.model._meta.db_table for qs in collector.fast_deletes}
    touched |= {field.model._meta.db_table for (field, _value) in collector.field_updates}

    statements: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        delete_cascading(User, "{pk} = ANY(%s)", [[user.pk]])
    written = {sql.split('"')[1] for sql in statements if sql.startswith(("DELETE", "UPDATE"))}

    assert written == touched
    assert not User.objects.filter(pk=user.pk).exists()


@pytest.mark.parametrize("rule", ["PROTECT", "SET_DEFAULT"])
def test_an_unsupported_on_delete_rule_fails_loudly_instead_of_being_ignored(
    in_tenant_a: Tenant, rule: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import models

    field = LogEntry._meta.get_field("user")
    monkeypatch.setattr(field.remote_field, "on_delete", getattr(models, rule))
    user = user_with_everything("guarded", None)

    with pytest.raises(NotImplementedError, match=rule):
        delete_cascading(User, "{pk} = ANY(%s)", [[user.pk]])
