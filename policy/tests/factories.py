"""The public side's rows: a tenant's policy and the outcomes of its runs."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from policy.models import CleanupPolicy, RunOutcome


class CleanupPolicyFactory(DjangoModelFactory[CleanupPolicy]):
    """A policy at its defaults, for a tenant made without one (`tenant_create` makes its
    own)."""

    class Meta:
        model = CleanupPolicy


class RunOutcomeFactory(DjangoModelFactory[RunOutcome]):
    """A scheduled real run that just succeeded and removed nobody."""

    class Meta:
        model = RunOutcome

    report_id = factory.Sequence(lambda n: n + 1)
    status = "succeeded"
    trigger = "schedule"
    dry_run = False
    started_at = None
    finished_at = factory.LazyFunction(timezone.now)
    users_removed = 0
