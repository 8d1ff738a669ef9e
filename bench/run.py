"""Run every benchmark, write bench/results/latest.json and latest.md, append HISTORY.md.

    python -m bench.run            # full: 100,000 users (`make bench`)
    python -m bench.run --quick    # 20,000 users, shorter loads (`make bench-quick`)

Each benchmark runs in its own process (fresh Django, fresh memory) against the
benchmark database and Redis db 14 (see bench/common.py); targets are docs/benchmarks.md#targets. A
missed
target is reported, not raised: benchmarks measure, tests assert.
"""

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from bench import common

# key: (target text, check)
TARGETS: dict[str, tuple[str, Callable[[Any, dict[str, Any]], bool]]] = {
    "cleanup_delete_vs_sql": ("≤ 2.0", lambda v, r: v <= 2.0),
    "cleanup_deactivate_vs_sql": ("≤ 2.0", lambda v, r: v <= 2.0),
    "cleanup_delete_vs_sql_audited": ("≤ 1.5 (floor + audit)", lambda v, r: v <= 1.5),
    "cleanup_deactivate_vs_sql_audited": ("≤ 1.5 (floor + audit)", lambda v, r: v <= 1.5),
    "notice_warn_vs_sql": ("≤ 2.0", lambda v, r: v <= 2.0),
    "naive_delete_vs_product": ("reported", lambda v, r: True),
    "cleanup_delete_users_per_s": ("reported", lambda v, r: True),
    "cleanup_peak_rss_mb": ("≤ 200", lambda v, r: v <= 200),
    "cleanup_rss_growth": ("≤ 1.25", lambda v, r: v <= 1.25),
    "fanout_queries_10": ("reported", lambda v, r: True),
    "fanout_queries_500": ("= fanout_queries_10", lambda v, r: v == r["fanout_queries_10"]),
    "fanout_tick_ms_500": ("reported", lambda v, r: True),
    "api_latest_vs_ping": ("≥ 0.5", lambda v, r: v >= 0.5),
    "api_latest_p99_ms": ("reported", lambda v, r: True),
    "api_token_vs_jwt": ("≥ 0.9", lambda v, r: v >= 0.9),
    "tenant_create_s": ("≤ 2", lambda v, r: v <= 2),
    "undo_vs_sql": ("≤ 2.0", lambda v, r: v <= 2.0),
    "undo_vs_sql_audited": ("≤ 2.0 (floor + audit)", lambda v, r: v <= 2.0),
    "undo_s": ("reported", lambda v, r: True),
    "tenant_create_migrate_s": ("reported", lambda v, r: True),
    "notice_send_per_s": ("reported", lambda v, r: True),
    "notice_send_vs_raw_smtp": ("reported", lambda v, r: True),
    "notice_send_peak_rss_mb": ("≤ 200", lambda v, r: v <= 200),
    "webhook_p99_ms": ("< 2000", lambda v, r: v < 2000),
    "webhook_deliveries_100k": ("≤ 250", lambda v, r: v <= 250),
    "signals_per_s": ("reported", lambda v, r: True),
    "signals_vs_sql": ("≤ 3.0", lambda v, r: v <= 3.0),
}


def plan(quick: bool) -> list[list[str]]:
    users = "20000" if quick else "100000"
    return [
        ["bench.cleanup_speed", "--users", users, "--repeat", "3"],
        ["bench.notice_warn", "--users", users, "--repeat", "3"],
        ["bench.memory", "--users", users, "--repeat", "2" if quick else "3"],
        ["bench.fanout", "--repeat", "5"],
        ["bench.api", "--seconds", "5" if quick else "10", "--rounds", "3" if quick else "5"],
        ["bench.tenant_create", "--repeat", "5", "--migrate-repeat", "3"],
        ["bench.notices", "--notices", "2000" if quick else "10000", "--repeat", "3"],
        ["bench.undo_speed", "--run-users", "10000" if quick else "50000", "--repeat", "3"],
        ["bench.webhooks", "--events", "100" if quick else "300"],
        ["bench.signals", "--users", users, "--repeat", "3"],
    ]


def table(results: dict[str, Any]) -> str:
    lines = ["| figure | value | target | |", "| --- | --- | --- | --- |"]
    for key, (target, check) in TARGETS.items():
        if key not in results:
            lines.append(f"| `{key}` | — | {target} | not measured |")
            continue
        value = results[key]
        verdict = "" if target == "reported" else ("met" if check(value, results) else "MISSED")
        lines.append(f"| `{key}` | {value} | {target} | {verdict} |")
    return "\n".join(lines)


def history_append(results: dict[str, Any]) -> None:
    header = (
        "| date | mode | commit | users | delete/SQL | deactivate/SQL "
        "| delete/SQL+audit | deactivate/SQL+audit | naive/product "
        "| peak RSS MB | RSS growth | fan-out queries 10/500 | latest/ping | p99 ms "
        "| tenant s (clone/migrate) |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- "
        "| --- |\n"
    )
    if not common.HISTORY.exists():
        common.HISTORY.write_text(
            "# Benchmark history\n\nOne row per `make bench` / `make bench-quick`; "
            "see latest.json for every figure.\n\n" + header
        )
    r = results
    row = (
        f"| {r['date']} | {r['mode']} | {r['commit']} | {r.get('cleanup_users')} "
        f"| {r.get('cleanup_delete_vs_sql')} | {r.get('cleanup_deactivate_vs_sql')} "
        f"| {r.get('cleanup_delete_vs_sql_audited')} "
        f"| {r.get('cleanup_deactivate_vs_sql_audited')} "
        f"| {r.get('naive_delete_vs_product')} | {r.get('cleanup_peak_rss_mb')} "
        f"| {r.get('cleanup_rss_growth')} "
        f"| {r.get('fanout_queries_10')}/{r.get('fanout_queries_500')} "
        f"| {r.get('api_latest_vs_ping')} | {r.get('api_latest_p99_ms')} "
        f"| {r.get('tenant_create_s')}/{r.get('tenant_create_migrate_s')} |\n"
    )
    with common.HISTORY.open("a") as history:
        history.write(row)


def main(quick: bool, only: list[str]) -> int:
    start = time.monotonic()
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    if not only:  # a partial run updates the figures it measures, keeps the others
        common.results_reset()
    common.log("creating and migrating the benchmark database")
    common.database_create()
    for args in plan(quick):
        if only and not any(name in args[0] for name in only):
            continue
        common.log(f"running {' '.join(args)}")
        subprocess.run(
            [common.PYTHON, "-m", *args], cwd=common.ROOT, env=common.bench_env(), check=True
        )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=common.ROOT, capture_output=True, text=True
    ).stdout.strip()
    results = common.results_merge(
        {
            "date": common.now_iso(),
            "mode": ("quick" if quick else "full") + (f" ({', '.join(only)} only)" if only else ""),
            "commit": commit or "?",
            "machine": common.machine(),
            "duration_s": round(time.monotonic() - start),
        }
    )
    history_append(results)
    summary = (
        f"Benchmarks ({results['mode']}, {results['date']}, commit {results['commit']}; "
        f"{results['machine']}; {results['duration_s']} s)\n\n{table(results)}\n"
    )
    (common.RESULTS / "latest.md").write_text(summary)
    print(summary)
    print(json.dumps(results, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 users, shorter loads")
    parser.add_argument(
        "--only", nargs="*", default=[], help="run only these (cleanup_speed, memory, ...)"
    )
    args = parser.parse_args()
    sys.exit(main(args.quick, args.only))
