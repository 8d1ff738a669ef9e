"""Reading the activity log of the current schema (a tenant's, or the public one)."""

from django.db.models import QuerySet

from activity.models import ActivityEvent


def activity_list() -> QuerySet[ActivityEvent]:
    """Newest first, ties by id: one index (activity_newest_idx) serves every page."""
    return ActivityEvent.objects.order_by("-at", "-id")
