"""`make drill` (docs/operations.md#the-fleet-drill): the fleet drill at full size on a stack
of its own — its database (DRILL_DATABASE, default `cleanup_drill`, dropped and re-made), a
redis-server on a free port, a beat and two workers of two processes each.

    python -m faults.drill                          # 2,000 tenants, all three scenarios
    python -m faults.drill --tenants 200            # a quick look
    python -m faults.drill --scenarios clean kill

Prints each scenario's makespan, tenants per second per worker process and what the checks
found; exits 1 when a check failed (the processes' logs are then kept and named).
"""

import argparse
import json
import os
import shutil
import sys
import time

# The stack's helpers live beside the test suite's, whose imports read Django's settings (no
# database is touched here: every Django process of the drill is the stack's own).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")

from faults.fleet import CONCURRENCY, WORKERS, Drill
from faults.stack import Stack


def main(tenants: int, scenarios: list[str]) -> int:
    stack = Stack(db_name=os.environ.get("DRILL_DATABASE", "cleanup_drill"))
    results = []
    failed = False
    try:
        stack.redis_start()
        stack.database_create()
        stack.python(
            "from tenants.models import Tenant, Domain\n"
            "public = Tenant.objects.create(schema_name='public', name='Platform')\n"
            "Domain.objects.create(domain='localhost', tenant=public)\n"
        )
        drill = Drill(stack, tenants)
        created_s = drill.create()
        print(f"{tenants} tenants made in {created_s:.0f} s", file=sys.stderr, flush=True)
        for kind in scenarios:
            started = time.monotonic()
            result = drill.scenario(kind)
            result["wall_s"] = round(time.monotonic() - started)
            results.append(result)
            failed = failed or bool(result["problems"])
            print(json.dumps(result), file=sys.stderr, flush=True)
    finally:
        stack.teardown()
        if failed:
            print(f"process logs kept in {stack.logs}", file=sys.stderr)
        else:
            shutil.rmtree(stack.logs, ignore_errors=True)
    processes = WORKERS * CONCURRENCY
    print(
        f"\nFleet drill: {tenants} tenants due in the same minute, {WORKERS} workers x "
        f"{CONCURRENCY} processes\n"
    )
    print("| scenario | makespan | succeeded | not succeeded | tenants/s per process | checks |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        checks = "held" if not r["problems"] else f"{r['problems']} problems: {r['first_problems']}"
        print(
            f"| {r['scenario']} | {r['makespan_s']} s | {r['succeeded']} | {r['not_succeeded']} "
            f"| {r['tenants_per_s_per_process']} (of {processes}) | {checks} |"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=2000)
    parser.add_argument(
        "--scenarios",
        nargs="+",
        default=["clean", "kill", "redis"],
        choices=["clean", "kill", "redis"],
    )
    args = parser.parse_args()
    sys.exit(main(args.tenants, args.scenarios))
