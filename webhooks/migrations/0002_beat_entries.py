"""The beat entries of webhooks (public schema only), visible and pausable in Django admin."""

from django.db import migrations
from django_tenants.utils import get_public_schema_name

ENTRIES = {
    "webhooks: sweep due deliveries": ("webhooks.sweep", 1, "minutes"),
    "webhooks: purge after 30 days": ("webhooks.purge", 1, "days"),
}


def create_entries(apps, schema_editor):
    if schema_editor.connection.schema_name != get_public_schema_name():
        return  # this app is also a tenant app; beat's tables are in public alone
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (task, every, period) in ENTRIES.items():
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "interval": interval, "enabled": True}
        )


def remove_entries(apps, schema_editor):
    if schema_editor.connection.schema_name != get_public_schema_name():
        return
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=ENTRIES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_entries, remove_entries)]
