"""The beat entries of the cleanup engine, visible and pausable in Django admin."""

from django.db import migrations

ENTRIES = {
    "cleanup: fan out due tenants": "cleanup.fan_out",
    "cleanup: reap stale runs": "cleanup.reap_stale_runs",
}


def create_entries(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    for name, task in ENTRIES.items():
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "interval": every_minute, "enabled": True}
        )


def remove_entries(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=ENTRIES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_entries, remove_entries)]
