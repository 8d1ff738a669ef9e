"""Roles on committed data: the migration that gives each tenant's staff the admin role, and
two admins demoting each other at once."""

import threading
from collections.abc import Callable
from typing import Any

from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services import LastAdmin, user_role_set
from activity.models import ActivityEvent
from tenants.models import Tenant


def migrate_accounts(schema_name: str, to: str | None = None) -> None:
    options: dict[str, Any] = {"app_label": "accounts", "migration_name": to} if to else {}
    call_command(
        "migrate_schemas",
        tenant=True,
        schema_name=schema_name,
        interactive=False,
        verbosity=0,
        **options,
    )


def test_the_migration_makes_each_tenants_staff_its_admins(
    make_live_tenant: Callable[..., Tenant], settings: Any
) -> None:
    settings.MIGRATION_EXECUTOR = "standard"
    schema = make_live_tenant().schema_name
    migrate_accounts(schema, to="0002_user_token_version")
    with connection.cursor() as cursor:
        # As the users were before roles: no column to name.
        cursor.execute(
            f'INSERT INTO "{schema}".accounts_user (password, is_superuser, username, first_name,'
            " last_name, email, is_staff, is_active, date_joined) VALUES"
            " ('!', false, 'staffer', '', '', '', true, true, now()),"
            " ('!', false, 'gone_staffer', '', '', '', true, false, now()),"
            " ('!', true, 'root_only', '', '', '', false, true, now()),"
            " ('!', false, 'member', '', '', '', false, true, now())"
        )

    migrate_accounts(schema)

    with schema_context(schema):
        roles = dict(User.objects.values_list("username", "role"))
    assert roles == {
        "admin": "admin",  # tenant_create's, staff before roles
        "staffer": "admin",
        "gone_staffer": "admin",
        "root_only": "",
        "member": "",
    }


def backend_waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])


def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    make_live_tenant: Callable[..., Tenant],
) -> None:
    """Alice demotes Bob and, before her transaction commits, Bob demotes Alice. Each saw two
    admins; without the locks both would succeed and leave the tenant with none."""
    schema = make_live_tenant().schema_name
    with schema_context(schema):
        User.objects.filter(username="admin").update(username="alice")
        User.objects.create_user("bob", role="admin")
    alice_done, bob_waits = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def demote(actor: str, target: str) -> None:
        try:
            with schema_context(schema), transaction.atomic():
                user_role_set(username=target, role="", actor=actor)
                if actor == "alice":
                    alice_done.set()
                    assert bob_waits.wait(30), "bob's demotion never waited for alice's"
            outcome[actor] = "demoted"
        except LastAdmin:
            outcome[actor] = "refused"
        finally:
            connection.close()

    alice = threading.Thread(target=demote, args=("alice", "bob"))
    bob = threading.Thread(target=demote, args=("bob", "alice"))
    alice.start()
    assert alice_done.wait(30)
    bob.start()
    while bob.is_alive() and not backend_waiting_on_a_lock():
        bob.join(0.05)
    bob_waits.set()
    alice.join(60)
    bob.join(60)

    assert outcome == {"alice": "demoted", "bob": "refused"}
    with schema_context(schema):
        assert dict(User.objects.values_list("username", "role")) == {"alice": "admin", "bob": ""}
        assert list(ActivityEvent.objects.values_list("actor", "target")) == [("alice", "bob")]
    connection.set_schema_to_public()  # type: ignore[attr-defined]
