"""Seconds per tenant through the provisioning service (docs/benchmarks.md#targets): cloned vs
migrated.

`fleet.services.tenants.tenant_create` as the API and the `tenant_create` command call it, first
as configured (cloning the migrated template schema, migrations faked), then with
TENANT_CREATION_FAKES_MIGRATIONS off, which makes django-tenants run every migration in
the new schema. The two kinds alternate, in one process.

    python -m bench.tenant_create --repeat 5
"""

import argparse
from typing import Any

from bench import common

PREFIX = "bench_tc_"


def create_one(schema: str) -> float:
    from fleet.services.tenants import tenant_create

    return common.timed(
        lambda: tenant_create(
            schema_name=schema,
            name=schema,
            admin_username="admin",
            admin_email="admin@bench.test",
            admin_password="bench-admin-password-1",
        )
    )


def main(repeat: int, migrate_repeat: int) -> dict[str, Any]:
    common.django_setup()
    from django.test import override_settings

    common.public_tenant_ensure()
    common.tenants_drop(PREFIX)
    cloned: list[float] = []
    migrated: list[float] = []
    for i in range(repeat):
        cloned.append(create_one(f"{PREFIX}clone{i}"))
        common.log(f"cloned {i}: {cloned[-1]:.2f} s")
        if i < migrate_repeat:
            with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False):
                migrated.append(create_one(f"{PREFIX}migrate{i}"))
            common.log(f"migrated {i}: {migrated[-1]:.2f} s")
    common.tenants_drop(PREFIX)
    figures = {
        "tenant_create_s": round(common.median(cloned), 2),
        "tenant_create_migrate_s": round(common.median(migrated), 2),
    }
    common.log(f"tenant creation: {figures}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--migrate-repeat", type=int, default=3)
    args = parser.parse_args()
    common.results_merge(main(args.repeat, args.migrate_repeat))
