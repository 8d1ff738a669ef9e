"""Peak memory of a cleanup run at 10k users and at N users (docs/benchmarks.md#targets).

Each run is `manage.py cleanup_run --schema S --apply` (the same service the worker calls)
in a fresh process on a fresh copy of the source tenant; its peak RSS is read from the
kernel's accounting of that child (os.wait4). The process's start-up (Django, apps) is in
the figure, as it is in a worker's.

    python -m bench.memory --users 100000 --repeat 3
"""

import argparse
import os
import subprocess
from typing import Any

from bench import common

SMALL = 10_000


def peak_rss_mb(schema: str) -> float:
    """Run the cleanup of `schema` in a child process; return the child's peak RSS in MB."""
    child = subprocess.Popen(
        [common.PYTHON, "manage.py", "cleanup_run", "--schema", schema, "--apply"],
        cwd=common.ROOT,
        env=common.bench_env(),
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise RuntimeError(f"cleanup_run of {schema} exited {child.returncode}")
    return usage.ru_maxrss / 1024  # KiB on Linux


def main(users: int, repeat: int) -> dict[str, Any]:
    common.django_setup()
    from bench import data
    from bench.cleanup_speed import SOURCE, source_ensure

    common.public_tenant_ensure()
    common.tenants_drop(data.PREFIX + "m")
    small_source = f"{data.PREFIX}src_small"
    source_ensure(small_source, SMALL)
    source_ensure(SOURCE, users)

    peaks: dict[str, list[float]] = {"small": [], "large": []}
    for rep in range(repeat):
        for size, source in (("small", small_source), ("large", SOURCE)):
            schema = f"{data.PREFIX}m{rep}_{size}"
            data.copy_make(source, schema, "delete")
            peaks[size].append(peak_rss_mb(schema))
            common.log(f"rep {rep} {size}: peak RSS {peaks[size][-1]:.1f} MB")
            data.copy_drop(schema)
    small, large = common.median(peaks["small"]), common.median(peaks["large"])
    figures = {
        "cleanup_peak_rss_mb": round(large, 1),
        "cleanup_peak_rss_10k_mb": round(small, 1),
        "cleanup_rss_growth": round(large / small, 3),
    }
    common.log(f"memory: {figures}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    common.results_merge(main(args.users, args.repeat))
