"""The tenant's policy: read, validated write, and a new tenant's first one."""

import logging
from dataclasses import replace
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from activity.models import ActivityEvent
from activity.services import activity_record
from policy.models import CleanupPolicy
from policy.rules import POLICY_FIELDS, PolicySpec, next_run_at, policy_check
from tenants.models import Tenant
from webhooks import catalogue
from webhooks.services.events import webhook_event_emit

logger = logging.getLogger(__name__)


def policy_get(schema_name: str) -> CleanupPolicy:
    return CleanupPolicy.objects.select_related("tenant").get(tenant__schema_name=schema_name)


def policy_input_validate(*, schema_name: str, data: dict[str, Any]) -> None:
    """The rules on policy input that need the tenant's data, beyond the serializer's shape
    checks: every exempt group must exist in the tenant's schema, by its exact name — a typo
    would otherwise exempt nobody, silently. Only the fields in `data` are checked, so a group
    deleted after it was saved does not block unrelated changes.

    Raises ValidationError naming the unknown groups.
    """
    names = data.get("exempt_groups")
    if not names:
        return
    with schema_context(schema_name):
        known = set(Group.objects.filter(name__in=names).values_list("name", flat=True))
    unknown = sorted(set(names) - known)
    if unknown:
        raise ValidationError(
            {"exempt_groups": [f"No such group in this tenant: {', '.join(unknown)}."]}
        )


def policy_rules_check(*, schema_name: str, base: PolicySpec, data: dict[str, Any]) -> None:
    """Every rule beyond the fields' shapes at once — the tenant's groups and the rules between
    fields — on `base` with `data` (any policy fields) applied. Reads only.

    Raises one ValidationError naming each field with a problem, so a form shows all of them
    after one submit; callers also use it on the fields that passed their shape checks when
    others did not (`core.api.validate_with`)."""
    errors: dict[str, list[str]] = {}
    for check in (
        lambda: policy_input_validate(schema_name=schema_name, data=data),
        lambda: policy_check({**base.snapshot(), **data}),
    ):
        try:
            check()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def policy_try(*, schema_name: str, overrides: dict[str, Any]) -> PolicySpec:
    """The saved policy with `overrides` (any policy fields) applied, checked like a save
    (the rules between fields, the tenant's groups), for the preview. Writes nothing.

    Raises ValidationError with per-field messages.
    """
    saved = PolicySpec.from_policy(policy_get(schema_name))
    policy_rules_check(schema_name=schema_name, base=saved, data=overrides)
    return replace(saved, **overrides)


def policy_update(*, policy: CleanupPolicy, data: dict[str, Any], actor: str) -> CleanupPolicy:
    """Apply `data` (any policy fields; the others keep their value), validate the whole
    policy — ranges, the rules between fields (`policy.rules.policy_check`), the tenant's
    groups — save it with its next run recomputed, and log `policy.updated` in the tenant's
    schema, in the same transaction as the save, with each changed field's `{old, new}`.

    `actor` is who changed it: a tenant admin's username, `<name> (operator)` from the
    operators' Django admin, or ActivityEvent.SYSTEM_ACTOR. A save that changes no field
    still saves (and recomputes the next run) but logs nothing: the log answers "who changed
    what", and an unchanged PUT changed nothing. Raises ValidationError with per-field
    messages and saves nothing on bad input.
    """
    unknown = set(data) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown policy field."] for name in sorted(unknown)})
    policy_rules_check(
        schema_name=policy.tenant.schema_name, base=PolicySpec.from_policy(policy), data=data
    )
    before = {name: getattr(policy, name) for name in data}
    for name, value in data.items():
        setattr(policy, name, value)
    policy.full_clean(exclude=["tenant"])
    changes = {
        name: {"old": old, "new": getattr(policy, name)}
        for name, old in before.items()
        if getattr(policy, name) != old
    }
    with transaction.atomic():
        policy_save(policy=policy)
        if changes:
            with schema_context(policy.tenant.schema_name):
                activity_record(
                    actor=actor,
                    verb=ActivityEvent.Verb.POLICY_UPDATED,
                    target="cleanup policy",
                    data=changes,
                )
                webhook_event_emit(
                    type=catalogue.POLICY_UPDATED, data={"changes": changes, "updated_by": actor}
                )
    logger.info(
        "cleanup.policy.updated", extra={"tenant": policy.tenant_id, "fields": sorted(changes)}
    )
    return policy


def policy_save(*, policy: CleanupPolicy, create: bool = False) -> CleanupPolicy:
    """Save a validated policy with `next_run_at` recomputed from its (maybe changed) cron
    and timezone. Only the policy's own columns: a run may have written the operators'
    summary (last_report_*) since `policy` was loaded."""
    policy.next_run_at = next_run_at(policy, timezone.now())
    if create:
        policy.save(force_insert=True)
    else:
        policy.save(update_fields=[*POLICY_FIELDS, "next_run_at"])
    return policy


def policy_create(*, tenant: Tenant) -> CleanupPolicy:
    """A new tenant's policy: every field at its default (a dry run, so nobody is removed
    until an admin opts in), its first run scheduled. In the caller's transaction: the
    tenant's creation (`fleet.services.tenants.tenant_create`)."""
    return policy_save(policy=CleanupPolicy(tenant=tenant), create=True)
