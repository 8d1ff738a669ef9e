"""The email to a tenant's admins when one of its endpoints was disabled for failing.

Tenant admins are the tenant's active users holding the tenant-admin role with an address,
as everywhere (docs/architecture.md#oversight). This app sits below `accounts`
(docs/architecture.md#layers), so it reads them through Django's user model setting
(`get_user_model`) and the role's stored value (`core.api.ADMIN`).
"""

import logging

from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from core.api import ADMIN
from core.mail import (
    MailRejected,
    connection_close,
    connection_open,
    deliver,
    from_address,
    message_render,
)
from tenants.models import Tenant
from tenants.selectors import tenant_url
from webhooks.models import Endpoint

logger = logging.getLogger(__name__)


def endpoint_disabled_notify(*, schema_name: str, endpoint_id: int) -> int:
    """Email the tenant's admins that the endpoint was disabled; return how many messages
    the mail server accepted. Raises core.mail.MailUnavailable (the task retries)."""
    tenant = Tenant.objects.filter(schema_name=schema_name).first()
    if tenant is None:
        return 0
    with schema_context(schema_name):
        endpoint = Endpoint.objects.filter(pk=endpoint_id, enabled=False).first()
        admins = (
            get_user_model()
            .objects.filter(role=ADMIN, is_active=True)
            .exclude(email="")
            .order_by("pk")
            .values_list("email", flat=True)
        )
        addresses = list(dict.fromkeys(admins))
    if endpoint is None or not addresses:
        return 0
    context = {
        "tenant_name": tenant.name,
        "url": endpoint.url,
        "reason": endpoint.disabled_reason,
        "webhooks_url": tenant_url(tenant, "webhooks"),
    }
    connection = connection_open()
    sent = 0
    try:
        for address in addresses:
            message = message_render(
                template="webhooks/email/endpoint_disabled",
                context=context,
                subject=f"{tenant.name}: a webhook endpoint was disabled",
                to=address,
                from_email=from_address(tenant.name),
                headers={"Auto-Submitted": "auto-generated"},
            )
            try:
                deliver(connection, message)
            except MailRejected as exc:
                logger.warning(
                    "webhooks.disabled_mail.rejected",
                    extra={"tenant": schema_name, "error": str(exc)},
                )
                continue
            sent += 1
    finally:
        connection_close(connection)
    return sent
