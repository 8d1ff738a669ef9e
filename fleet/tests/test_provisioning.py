from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django_tenants.utils import schema_context

from accounts.models import UserActivitySource
from cleanup.tests.factories import CleanupReportFactory
from core.serving import development_url
from fleet.services.tenants import tenant_create
from policy.models import CleanupPolicy
from tenants.models import Domain, Tenant
from tenants.services import tenant_delete

pytestmark = pytest.mark.django_db


def schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT schema_name FROM information_schema.schemata")
        return {row[0] for row in cursor.fetchall()}


def create(schema_name: str = "newco", domain: str | None = None, **overrides: str) -> Tenant:
    kwargs = {
        "schema_name": schema_name,
        "name": "New Co",
        "domain": domain,
        "admin_username": "boss",
        "admin_email": "boss@newco.test",
        "admin_password": "a-long-enough-password",
    }
    kwargs.update(overrides)
    return tenant_create(**kwargs)  # type: ignore[arg-type]


def test_creating_a_tenant_makes_schema_domain_policy_and_first_admin() -> None:
    tenant = create()

    assert "newco" in schemas()
    assert Domain.objects.get(tenant=tenant).domain == "newco.localhost"
    policy = CleanupPolicy.objects.get(tenant=tenant)
    assert policy.dry_run is True and policy.next_run_at is not None
    with schema_context("newco"):
        admin = get_user_model().objects.get()
        assert (
            admin.username == "boss"
            and admin.role == "admin"
            # Django admin still opens to them, to manage users and groups.
            and admin.is_staff
            and admin.check_password("a-long-enough-password")
        )


def test_a_tenant_cloned_from_the_template_has_every_table_migrated() -> None:
    create()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            ["newco"],
        )
        tables = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s",
            ["tenant_template"],
        )
        template_table_count = cursor.fetchone()[0]
    assert {"accounts_user", "django_migrations", "token_blacklist_outstandingtoken"} <= tables
    assert len(tables) == template_table_count


@pytest.mark.parametrize(
    "schema_name",
    [
        "",
        "1abc",
        "Abc",
        "a-b",
        "a b",
        "a" * 64,
        "public",
        "pg_temp",
        "tenant_template",
        "ä",
        "abc\n",
    ],
)
def test_a_bad_schema_name_is_rejected_and_nothing_is_left_behind(schema_name: str) -> None:
    before_schemas, before_tenants = schemas(), Tenant.objects.count()

    with pytest.raises(ValidationError) as exc:
        create(schema_name, domain="badname.localhost")

    assert "schema_name" in exc.value.message_dict
    assert schemas() == before_schemas
    assert Tenant.objects.count() == before_tenants
    assert not Domain.objects.filter(domain="badname.localhost").exists()


def test_a_taken_schema_name_is_rejected_and_nothing_is_left_behind(tenant_a: Tenant) -> None:
    before_schemas, before_domains = schemas(), Domain.objects.count()

    with pytest.raises(ValidationError) as exc:
        create(tenant_a.schema_name, domain="other.localhost")

    assert "already exists" in exc.value.message_dict["schema_name"][0]
    assert schemas() == before_schemas
    assert Domain.objects.count() == before_domains


def test_a_taken_domain_is_rejected_and_nothing_is_left_behind(tenant_a: Tenant) -> None:
    before_schemas, before_tenants = schemas(), Tenant.objects.count()

    with pytest.raises(ValidationError) as exc:
        create("newco", domain=tenant_a.get_primary_domain().domain)

    assert "already taken" in exc.value.message_dict["domain"][0]
    assert schemas() == before_schemas
    assert Tenant.objects.count() == before_tenants


def test_a_weak_admin_password_is_rejected_and_nothing_is_left_behind() -> None:
    before = schemas()

    with pytest.raises(ValidationError) as exc:
        create(admin_password="123")

    assert "admin_password" in exc.value.message_dict
    assert schemas() == before
    assert not Tenant.objects.filter(schema_name="newco").exists()


BAD_USERNAMES = {
    "a space": "first admin",
    "CR LF": "boss\r\nInjected: yes",
    "a final LF": "boss\n",
    "a tab": "bo\tss",
    "punctuation": "boss!",
    "too long": "b" * 151,
}


@pytest.mark.parametrize("username", BAD_USERNAMES.values(), ids=BAD_USERNAMES.keys())
def test_a_username_django_would_refuse_is_refused_and_nothing_is_left_behind(
    username: str,
) -> None:
    before_schemas, before_tenants = schemas(), Tenant.objects.count()

    with pytest.raises(ValidationError) as exc:
        create(admin_username=username)

    assert list(exc.value.message_dict) == ["admin_username"]
    assert schemas() == before_schemas
    assert Tenant.objects.count() == before_tenants
    assert not Domain.objects.filter(domain="newco.localhost").exists()


@pytest.mark.parametrize("username", ["boss", "jane.doe@example.com", "a-b_c+d", "Zoë", "b" * 150])
def test_usernames_django_accepts_are_accepted(username: str) -> None:
    create(admin_username=username)

    with schema_context("newco"):
        assert get_user_model().objects.get().username == username


BAD_NAMES = {
    "CR LF": "Evil\r\nBcc: everyone@example.com",
    "LF": "Two\nlines",
    "tab": "Tab\there",
    "NUL": "Nul\x00here",
    "zero-width space": "Zero\u200bwidth",
    "right-to-left override": "Invoice\u202efdp.exe",
    "too long": "N" * 101,
}


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_a_tenant_name_with_control_characters_is_refused_and_nothing_is_left_behind(
    name: str,
) -> None:
    before_schemas, before_tenants = schemas(), Tenant.objects.count()

    with pytest.raises(ValidationError) as exc:
        create(name=name)

    assert list(exc.value.message_dict) == ["name"]
    assert schemas() == before_schemas
    assert Tenant.objects.count() == before_tenants


def test_the_model_refuses_a_name_with_control_characters(tenant_a: Tenant) -> None:
    tenant_a.name = "Alpha\r\nX-Header: 1"

    with pytest.raises(ValidationError) as exc:
        tenant_a.full_clean()

    assert list(exc.value.message_dict) == ["name"]


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("--admin-username", "first admin", "admin_username"),
        ("--admin-username", "boss\r\n", "admin_username"),
        ("--name", "Cmd\r\nCo", "name"),
    ],
)
def test_the_command_refuses_a_bad_username_or_name_and_creates_nothing(
    option: str, value: str, field: str
) -> None:
    arguments = {
        "--schema": "cmdco",
        "--name": "Cmd Co",
        "--admin-username": "root",
        "--admin-email": "root@cmd.test",
        "--admin-password": "a-long-enough-password",
        option: value,
    }
    before_tenants = Tenant.objects.count()

    with pytest.raises(CommandError, match=f"Tenant not created.\n{field}: "):
        call_command("tenant_create", *[part for pair in arguments.items() for part in pair])

    assert "cmdco" not in schemas()
    assert Tenant.objects.count() == before_tenants


def test_a_failure_after_the_schema_exists_rolls_everything_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(get_user_model().objects, "create_user", explode)
    before = schemas()

    with pytest.raises(RuntimeError):
        create()

    assert schemas() == before
    assert not Tenant.objects.filter(schema_name="newco").exists()
    assert not Domain.objects.filter(domain="newco.localhost").exists()


@pytest.mark.parametrize("step", ["tenant_provision", "policy_create", "platform_activity_record"])
def test_a_failure_at_any_step_of_a_new_tenant_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """Provisioning (schema, domain), the policy and the `tenant.created` event are made by
    three apps' services, in the fleet's one transaction: a failure in any leaves none."""
    from activity.models import ActivityEvent
    from fleet.services import tenants as fleet_tenants

    real = getattr(fleet_tenants, step)

    def done_then_explode(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(fleet_tenants, step, done_then_explode)
    before = schemas()

    with pytest.raises(RuntimeError):
        create()

    assert schemas() == before
    assert not Tenant.objects.filter(schema_name="newco").exists()
    assert not Domain.objects.filter(domain="newco.localhost").exists()
    assert not CleanupPolicy.objects.filter(tenant__schema_name="newco").exists()
    with schema_context("public"):
        assert not ActivityEvent.objects.filter(target="newco").exists()


def test_deleting_a_tenant_drops_its_schema_and_its_schedule() -> None:
    tenant = create()

    tenant_delete(tenant=tenant)

    assert "newco" not in schemas()
    assert not CleanupPolicy.objects.filter(tenant_id=tenant.pk).exists()
    assert not Domain.objects.filter(domain="newco.localhost").exists()


def test_the_command_creates_a_tenant(capsys: pytest.CaptureFixture[str]) -> None:
    call_command(
        "tenant_create",
        "--schema",
        "cmdco",
        "--name",
        "Cmd Co",
        "--admin-username",
        "root",
        "--admin-email",
        "root@cmd.test",
        "--admin-password",
        "a-long-enough-password",
    )
    assert "cmdco" in schemas()
    assert "cmdco.localhost" in capsys.readouterr().out


def test_seed_demo_refuses_with_debug_off_and_creates_nothing(settings: Any) -> None:
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")

    assert not Tenant.objects.filter(schema_name__in=["acme", "globex"]).exists()
    assert "acme" not in schemas()
    assert not get_user_model().objects.filter(username="operator").exists()


def test_seed_demo_twice_yields_the_same_counts(settings: Any) -> None:
    settings.DEBUG = True

    def counts() -> dict[str, int]:
        result = {"tenants": Tenant.objects.count(), "domains": Domain.objects.count()}
        for schema in ("acme", "globex"):
            with schema_context(schema):
                result[schema] = get_user_model().objects.count()
        return result

    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")

    assert counts() == first
    assert first["acme"] > 200 and first["globex"] > 200
    for schema in ("acme", "globex"):
        with schema_context(schema):
            roles = dict(
                get_user_model()
                .objects.filter(username__in=["admin", "auditor", "member"])
                .values_list("username", "role")
            )
        assert roles == {"admin": "admin", "auditor": "auditor", "member": ""}
        # A third of those who signed in also came through SSO, never before they signed in.
        with schema_context(schema):
            sso = UserActivitySource.objects.filter(source="sso")
            assert 50 < sso.count() < 120
            assert not sso.filter(user__last_login__isnull=True).exists()
            assert not sso.filter(last_at__lt=F("user__last_login")).exists()


def test_seed_demo_with_oversight_leaves_globex_and_initech_a_run_to_undo_and_one_awaiting_approval(
    settings: Any,
) -> None:
    from cleanup.models import CleanupAuditEntry, CleanupReport

    settings.DEBUG = True

    first, again = StringIO(), StringIO()
    call_command("seed_demo", "--oversight", stdout=first)
    call_command("seed_demo", "--oversight", stdout=again)  # idempotent

    runs = {}
    for schema in ("globex", "initech"):
        with schema_context(schema):
            finished, waiting = runs[schema] = CleanupReport.objects.order_by("id")
            assert (finished.status, finished.dry_run, finished.action) == (
                "succeeded",
                False,
                "deactivate",
            )
            audited = set(
                CleanupAuditEntry.objects.filter(report=finished).values_list("user_id", flat=True)
            )
            assert audited and finished.users_removed == len(audited)
            inactive = get_user_model().objects.filter(is_active=False).values_list("pk", flat=True)
            assert set(inactive) == audited  # the run deactivated exactly its audit list
            assert waiting.status == "awaiting_approval" and not waiting.dry_run
            assert waiting.users_matched and waiting.users_eligible
            assert (
                waiting.users_matched / waiting.users_eligible > waiting.policy["max_removal_ratio"]
            )
            assert not CleanupAuditEntry.objects.filter(report=waiting).exists()
            # The saved policy is as the demo leaves it: a dry run.
            assert CleanupPolicy.objects.get(tenant__schema_name=schema).dry_run is True
    with schema_context("acme"):
        assert not CleanupReport.objects.exists()
    # Each run says what it did, tenant by tenant, and why it did nothing the second time.
    finished, waiting = runs["globex"]
    assert lines_about("globex", first.getvalue()) == [
        "globex: created (an admin, a member and 300 users).",
        f"globex: oversight runs made: run #{finished.pk} (succeeded, deactivated "
        f"{finished.users_deactivated} accounts to reactivate or undo) and run #{waiting.pk} "
        "(awaiting_approval).",
    ]
    assert lines_about("acme", first.getvalue()) == [
        "acme: created (an admin, a member and 300 users; a dry run every 15 minutes)."
    ]
    assert lines_about("globex", again.getvalue()) == [
        "globex: already there, left as it is.",
        "globex: oversight runs skipped: it already has 2 runs (they are only added to a "
        "tenant without any).",
    ]
    assert lines_about("acme", again.getvalue()) == ["acme: already there, left as it is."]


def lines_about(schema: str, output: str) -> list[str]:
    """What a seed said about `schema` (not the addresses it lists at the end)."""
    return [line for line in output.splitlines() if line.startswith(f"{schema}:")]


def test_seed_demo_with_oversight_says_it_skipped_a_tenant_with_runs_of_its_own_and_changes_it_not(
    settings: Any,
) -> None:
    from cleanup.models import CleanupReport

    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    with schema_context("globex"):
        own = CleanupReportFactory.create(dry_run=True)
    output = StringIO()

    call_command("seed_demo", "--oversight", stdout=output)

    assert lines_about("globex", output.getvalue())[-1] == (
        "globex: oversight runs skipped: it already has 1 run (they are only added to a "
        "tenant without any)."
    )
    with schema_context("globex"):
        assert list(CleanupReport.objects.values_list("pk", flat=True)) == [own.pk]
        assert not get_user_model().objects.filter(is_active=False).exists()


def test_seed_demo_prints_the_addresses_of_the_port_the_stack_serves(settings: Any) -> None:
    settings.DEBUG = True
    settings.TENANT_URL = development_url("127.0.0.1:8123")
    output = StringIO()

    call_command("seed_demo", stdout=output)

    text = output.getvalue()
    assert "operators: http://localhost:8123/  operator / operator-pass" in text
    assert "acme: http://acme.localhost:8123/  admin / admin-pass" in text
    assert "globex: http://globex.localhost:8123/  admin / admin-pass" in text
    assert ":8000" not in text
