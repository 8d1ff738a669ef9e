"""Where a cleanup run spends its time: SQL statements grouped by shape, and cProfile.

Runs the product's `cleanup_run` on a fresh copy of the benchmark source tenant (built by
`bench.cleanup_speed`) and prints the statements that took the most time in total, then
the Python functions with the most cumulative time.

    python -m bench.profile_cleanup --action delete [--explain] [--webhook]

With `--webhook`, one endpoint subscribed to every event, as `bench.cleanup_speed` measures
the product (its users events are written in the batches' transactions).
"""

import argparse
import cProfile
import io
import pstats
import re
from collections import defaultdict

from bench import common


def main(action: str, explain: bool, top: int, webhook: bool = False) -> None:
    common.django_setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import schema_context

    from bench import data
    from bench.cleanup_speed import SOURCE
    from cleanup.services.execution import cleanup_run
    from cleanup.services.start import cleanup_report_create

    schema = f"{data.PREFIX}cprof"
    common.tenants_drop(schema)
    data.copy_make(SOURCE, schema, action)
    try:
        with schema_context(schema):
            if webhook:
                from webhooks.models import Endpoint
                from webhooks.services.endpoints import secret_make

                Endpoint.objects.create(
                    url="https://hooks.bench.example/cleanup", events=["*"], secret=secret_make()
                )
            report = cleanup_report_create(schema_name=schema, trigger="manual", dry_run=False)
            profiler = cProfile.Profile()
            with CaptureQueriesContext(connection) as queries:
                profiler.enable()
                seconds = common.timed(lambda: cleanup_run(report_id=report.pk))
                profiler.disable()
        by_shape: dict[str, list[float]] = defaultdict(list)
        for query in queries.captured_queries:
            shape = re.sub(r"\d+", "N", query["sql"])[:160]
            by_shape[shape].append(float(query["time"]))
        print(f"\n{action}: {seconds:.2f} s, {len(queries)} queries")
        print(f"{'total s':>8} {'count':>6}  statement")
        for shape, times in sorted(by_shape.items(), key=lambda kv: -sum(kv[1]))[:top]:
            print(f"{sum(times):8.3f} {len(times):6}  {shape}")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top * 2)
        print(out.getvalue())
        if explain:
            with schema_context(schema), connection.cursor() as cursor:
                slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
                cursor.execute(f"EXPLAIN {slowest['sql']}")
                print("\n".join(row[0] for row in cursor.fetchall()))
    finally:
        data.copy_drop(schema)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--action", choices=["delete", "deactivate"], default="delete")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--webhook", action="store_true")
    args = parser.parse_args()
    main(args.action, args.explain, args.top, args.webhook)
