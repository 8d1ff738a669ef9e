import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.activity_signals import signals_record
from activity.models import ActivityEvent
from cleanup.models import CleanupReport
from cleanup.services.execution import cleanup_run
from cleanup.services.start import cleanup_report_create
from fleet.services.tenants import tenant_create
from policy.rules import PolicySpec
from policy.services import policy_get, policy_update
from tenants.models import Domain, Tenant
from tenants.selectors import tenant_url

OPERATOR = ("operator", "operator-pass")
ADMIN = ("admin", "admin-pass")
MEMBER = ("member", "member-pass")
# Reads every page of the tenant's console, changes nothing.
AUDITOR = ("auditor", "auditor-pass")
DEMO_TENANTS = {"acme": "Acme Inc.", "globex": "Globex Corporation"}
USERS_PER_TENANT = 300
OVERSIGHT_TENANT = "globex"
# With --oversight only: a tenant whose runs wait for the keyboard-only end-to-end flow, so
# that flow answers its own waiting run and undoes its own finished one, whatever the
# pointer flows on globex did first.
KEYBOARD_TENANT = ("initech", "Initech")


class Command(BaseCommand):
    help = "Create the demo: an operator, tenants acme and globex with users. Idempotent."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--oversight",
            action="store_true",
            help="Also give globex a finished deactivation run (to reactivate and undo) and a "
            "run waiting for approval, and create tenant initech with the same (the end-to-end "
            "flows use them).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo's logins are published in the README: never on a production site.
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates logins everyone knows; it runs only with DEBUG=1."
            )
        User = get_user_model()
        public, _ = Tenant.objects.get_or_create(
            schema_name="public", defaults={"name": "Platform"}
        )
        Domain.objects.get_or_create(
            domain=settings.BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
        )
        if User.objects.filter(username=OPERATOR[0]).exists():
            self.stdout.write(f"{OPERATOR[0]}: already there, left as it is.")
        else:
            User.objects.create_superuser(OPERATOR[0], "operator@example.com", OPERATOR[1])
            self.stdout.write(f"{OPERATOR[0]}: created (the operators' login).")

        tenants = dict(DEMO_TENANTS)
        if options["oversight"]:
            tenants[KEYBOARD_TENANT[0]] = KEYBOARD_TENANT[1]
        for schema, name in tenants.items():
            if Tenant.objects.filter(schema_name=schema).exists():
                self.stdout.write(f"{schema}: already there, left as it is.")
                continue
            tenant_create(
                schema_name=schema,
                name=name,
                admin_username=ADMIN[0],
                admin_email=f"admin@{schema}.example.com",
                admin_password=ADMIN[1],
            )
            with schema_context(schema):
                seed_users(schema)
            made = f"an admin, a member and {USERS_PER_TENANT} users"
            if schema == "acme":
                # Every 15 minutes (still a dry run), so a fresh `make run` shows scheduled
                # runs appearing without waiting for 03:00.
                policy_update(
                    policy=policy_get(schema),
                    data={"schedule": "*/15 * * * *"},
                    actor=ActivityEvent.SYSTEM_ACTOR,
                )
                made += "; a dry run every 15 minutes"
            self.stdout.write(f"{schema}: created ({made}).")

        for schema in tenants:
            # Apart from the tenants' first seeding, so a demo seeded before auditors gets one.
            with schema_context(schema):
                seed_auditor(schema)

        if options["oversight"]:
            for schema in (OVERSIGHT_TENANT, KEYBOARD_TENANT[0]):
                self.stdout.write(f"{schema}: {seed_oversight(schema)}")

        # The addresses links in emails use: the port the stack serves on (TENANT_URL).
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        operators = settings.TENANT_URL.format(domain=settings.BASE_DOMAIN)
        self.stdout.write(f"  operators: {operators}  {OPERATOR[0]} / {OPERATOR[1]}")
        for tenant in Tenant.objects.filter(schema_name__in=tenants).order_by("schema_name"):
            self.stdout.write(
                f"  {tenant.schema_name}: {tenant_url(tenant)}  {ADMIN[0]} / {ADMIN[1]}"
            )
        self.stdout.write(f"  a member (no console access) on acme: {MEMBER[0]} / {MEMBER[1]}")
        self.stdout.write(
            f"  an auditor (reads the console, changes nothing) on each tenant: "
            f"{AUDITOR[0]} / {AUDITOR[1]}"
        )


def seed_auditor(schema: str) -> None:
    """The demo's auditor in the current schema, unless there is one."""
    User = get_user_model()
    if not User.objects.filter(username=AUDITOR[0]).exists():
        User.objects.create_user(
            AUDITOR[0],
            f"auditor@{schema}.example.com",
            AUDITOR[1],
            role=User.Role.AUDITOR,
            last_login=timezone.now(),
        )


@transaction.atomic
def seed_users(schema: str) -> None:
    """A realistic spread: recent, dormant and never-logged-in users, a few staff and VIPs."""
    User = get_user_model()
    rng = random.Random(schema)  # noqa: S311 -- demo data, not secrets
    now = timezone.now()
    unusable = make_password(None)
    vip = Group.objects.create(name="vip")
    User.objects.create_user(MEMBER[0], f"member@{schema}.example.com", MEMBER[1], last_login=now)
    users = []
    for i in range(USERS_PER_TENANT):
        joined = now - timedelta(days=rng.randint(1, 1500))
        roll = rng.random()
        if roll < 0.10:  # signed up, never came back
            last_login = None
        elif roll < 0.35:  # dormant: last seen anywhere between 3 months and 4 years ago
            last_login = now - timedelta(days=rng.randint(91, 1500))
        else:  # active in the last two months
            last_login = now - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1440))
        last_login = max(last_login, joined) if last_login else None
        users.append(
            User(
                username=f"user{i:04d}",
                email=f"user{i:04d}@{schema}.example.com",
                first_name=rng.choice(
                    ["Ada", "Grace", "Alan", "Linus", "Barbara", "Ken", "Edsger"]
                ),
                password=unusable,
                date_joined=joined,
                last_login=last_login,
                is_staff=rng.random() < 0.03,
            )
        )
    created = User.objects.bulk_create(users)
    vip.user_set.add(*[u for u in created if rng.random() < 0.05])
    seed_sso_activity(schema, created, now)


def seed_sso_activity(schema: str, users: list[Any], now: datetime) -> None:
    """About a third of the users who signed in also came through single sign-on, up to
    three days later, as the tenant's identity provider reports it (the signals API's own
    service): the dashboard's "why" then reads "last active … through sso" for them."""
    rng = random.Random(f"{schema}-sso")  # noqa: S311 -- demo data; apart from the users' draws
    entries = [
        {
            "user": user.username,
            "at": min(
                user.last_login + timedelta(minutes=rng.randint(0, 3 * 24 * 60)),
                now - timedelta(minutes=1),
            ).isoformat(),
            "source": "sso",
        }
        for user in users
        if user.last_login and rng.random() < 0.35
    ]
    signals_record(entries, now=now)


def seed_oversight(schema: str) -> str:
    """In `schema`: a real deactivation run that finished, then a run waiting for approval;
    returns what it did, or why it did nothing, as a sentence.

    The first is a real run (the worker's own `cleanup_run`) of the tenant's policy made
    real for once — deactivate, no notice, no cap, inactive for a year — so its audit list
    and the accounts it deactivated are what a run leaves. The second stands in for what a
    scheduled run over the cap with `on_cap: "ask"` leaves: counted by the preview of a
    stricter policy (30 days, cap 20%), nobody removed. The tenant's saved policy is not
    changed. Does nothing if the tenant already has runs (of a previous seed, or its own),
    so seeding twice adds no second pair.
    """
    with schema_context(schema):
        runs = CleanupReport.objects.count()
        if runs:
            return (
                f"oversight runs skipped: it already has {runs} run{pluralize(runs)} "
                "(they are only added to a tenant without any)."
            )
        saved = PolicySpec.from_policy(policy_get(schema))
        report = cleanup_report_create(
            schema_name=schema, trigger="manual", triggered_by=ADMIN[0], dry_run=False
        )
        real = replace(
            saved,
            action="deactivate",
            dry_run=False,
            notice_days=0,
            max_removal_ratio=1.0,
            inactive_days=365,
        )
        CleanupReport.objects.filter(pk=report.pk).update(policy=real.snapshot())
        cleanup_run(report_id=report.pk)

        # A stricter policy over the cap: the run itself stops in awaiting_approval, its
        # counters saying what it would do.
        strict = replace(real, inactive_days=30, max_removal_ratio=0.2, on_cap="ask")
        waiting = cleanup_report_create(schema_name=schema, trigger="schedule", dry_run=False)
        CleanupReport.objects.filter(pk=waiting.pk).update(policy=strict.snapshot())
        cleanup_run(report_id=waiting.pk)

        report.refresh_from_db()
        waiting.refresh_from_db()
    deactivated = report.users_deactivated
    return (
        f"oversight runs made: run #{report.pk} ({report.status}, deactivated {deactivated} "
        f"account{pluralize(deactivated)} to reactivate or undo) and run #{waiting.pk} "
        f"({waiting.status})."
    )
