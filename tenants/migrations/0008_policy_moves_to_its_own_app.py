"""CleanupPolicy and RunOutcome now belong to the `policy` app (its 0001 takes them into its
state and renames their content types): here they leave tenants' state only. Their tables,
named as before, stay where they are."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0007_policy_ratio_from_one_percent'),
        ('policy', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='runoutcome',
                    name='tenant',
                ),
                migrations.DeleteModel(
                    name='CleanupPolicy',
                ),
                migrations.DeleteModel(
                    name='RunOutcome',
                ),
            ],
        ),
    ]
