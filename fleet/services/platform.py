"""The operators' trigger of many tenants' runs, and its entry in the public activity log."""

from django.db import transaction

from activity.models import ActivityEvent
from activity.services import platform_activity_record
from fleet.services.trigger import TriggerStarted, cleanup_trigger_many

# The log names at most this many requested and skipped tenants (the counts are always
# whole): a request may name 1,000, and a trigger-all with the broker down skips them all.
NAMES_LOGGED = 50
TARGET_MAX_LENGTH = ActivityEvent._meta.get_field("target").max_length or 200


def _target(schema_names: list[str] | None) -> str:
    if schema_names is None:
        return "all tenants"
    names = ", ".join(dict.fromkeys(schema_names))
    return names if len(names) <= TARGET_MAX_LENGTH else f"{len(set(schema_names))} tenants"


def cleanup_platform_trigger(
    *, schema_names: list[str] | None, dry_run: bool | None, actor: str
) -> TriggerStarted:
    """Queue a run in each named tenant (default: every active one; `cleanup_trigger_many`,
    in bulk) and log
    `platform.triggered` in the public schema with what came of it.

    Each tenant's run is queued in its own transaction (and schema), so there is no single
    transaction for the whole action: the event is written once the outcome is known, and
    says how many were queued and which were skipped, and why. When the broker refused and
    nothing was queued (BrokerUnavailable, a 503), nothing happened and nothing is logged.
    """
    started = cleanup_trigger_many(schema_names=schema_names, dry_run=dry_run, triggered_by=actor)
    queued, skipped = started.queued, started.skipped
    with transaction.atomic():
        platform_activity_record(
            actor=actor,
            verb=ActivityEvent.Verb.PLATFORM_TRIGGERED,
            target=_target(schema_names),
            data={
                "trigger_id": started.trigger_id,
                "tenants": None if schema_names is None else schema_names[:NAMES_LOGGED],
                "dry_run": dry_run,
                "queued": len(queued),
                "skipped": len(skipped),
                "skipped_tenants": [
                    {"tenant": run.tenant, "reason": run.reason} for run in skipped[:NAMES_LOGGED]
                ],
            },
        )
    return started
