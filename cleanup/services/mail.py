"""What every cleanup email knows about its tenant: its name, its address, its sender."""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import dateformat
from django.utils.translation import pgettext
from django_tenants.utils import get_public_schema_name

from cleanup.models import CleanupNotice
from core.mail import from_address
from policy.rules import PolicySpec
from tenants.models import Tenant
from tenants.selectors import tenant_url

# What a run does to an account, as emails say it (one home for the words).
ACTION_WORDS = {"deactivate": "deactivated", "delete": "deleted"}


@dataclass(frozen=True)
class TenantMail:
    """A tenant as its emails show it. `pk` salts its keep links: unlike the schema name, it
    is never reused by a tenant created after this one is deleted."""

    pk: int
    schema_name: str
    name: str
    is_active: bool
    # The tenant's address with a trailing slash: https://acme.example.com/
    url: str
    # DEFAULT_FROM_EMAIL with the tenant's name as the sender's name.
    from_email: str

    def link(self, path: str) -> str:
        return self.url + path.lstrip("/")


def tenant_mail(schema_name: str) -> TenantMail | None:
    """The tenant of `schema_name` as its emails show it; None for the public schema or a
    tenant that is gone. Reads the public schema (two queries)."""
    if schema_name == get_public_schema_name():
        return None
    tenant = Tenant.objects.filter(schema_name=schema_name).first()
    if tenant is None:
        return None
    return TenantMail(
        pk=tenant.pk,
        schema_name=tenant.schema_name,
        name=tenant.name,
        is_active=tenant.is_active,
        url=tenant_url(tenant),
        from_email=from_address(tenant.name),
    )


def date_text(moment: datetime, timezone_name: str) -> str:
    """A day people read without thinking: "Saturday, 14 March 2026" ("Samstag, 14. März
    2026" under German), in the tenant's timezone (the policy's), UTC when that name is
    unknown."""
    try:
        zone = zoneinfo.ZoneInfo(timezone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return dateformat.format(moment.astimezone(zone), pgettext("a day in an email", "l, j F Y"))


def mail_retry_delay(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed try to send: exponential backoff from
    NOTICE_RETRY_BASE_S, doubling, capped at NOTICE_RETRY_MAX_S."""
    delay = settings.NOTICE_RETRY_BASE_S * 2 ** min(max(attempts - 1, 0), 30)
    return float(min(delay, settings.NOTICE_RETRY_MAX_S))


def notice_removal_at(notice: CleanupNotice, spec: PolicySpec, sent_at: datetime) -> datetime:
    """The earliest moment a run may remove the notice's user, if they stay inactive: their
    due date, but never less than `notice_days` after the notice is sent (a notice sent late,
    after the mail server was down, still gives its full notice)."""
    return max(notice.due_at, sent_at + timedelta(days=spec.notice_days))
