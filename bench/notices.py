"""Sending notices (docs/benchmarks.md#targets): N notices through a local SMTP server, rate limit
and daily
cap lifted.

The tenant's outbox holds N unsent notices (one report, N users); each repetition resets
them to unsent and runs `notices_send` — the service the `notices` worker runs — in a fresh
process with NOTICE_RATE_PER_MINUTE=0 and no daily cap, against an aiosmtpd server in
another process (bench/smtp_sink.py) that accepts every message. Figures: messages per
second of that call (rendering both templates, signing the keep link, SMTP over one
connection per call, batched transactions), the same number of one pre-rendered notice sent
with bare smtplib to the same server beside it (the floor the SMTP exchange sets on this
machine; the server is Python too and shares its cores), and the sending process's peak RSS
(os.wait4), start-up included as in a worker. Medians over the repetitions.

    python -m bench.notices --notices 10000 --repeat 3
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

from bench import common

SCHEMA = "bench_notices"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def outbox_build(schema: str, count: int) -> None:
    """Tenant `schema` with `count` users inactive for 80 days and an unsent notice each."""
    from django.db import connection, transaction
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from cleanup.models import CleanupReport
    from fleet.services.tenants import tenant_create
    from policy.models import CleanupPolicy
    from policy.rules import PolicySpec

    tenant_create(
        schema_name=schema,
        name="Bench Notices, Inc.",
        admin_username="admin",
        admin_email="admin@bench.test",
        admin_password="bench-admin-password-1",
    )
    CleanupPolicy.objects.filter(tenant__schema_name=schema).update(enabled=False)
    now = timezone.now()
    with schema_context(schema), transaction.atomic():
        report = CleanupReport.objects.create(
            status=CleanupReport.Status.SUCCEEDED,
            trigger=CleanupReport.Trigger.MANUAL,
            dry_run=False,
            action="deactivate",
            policy=PolicySpec(dry_run=False, notify_admins=False).snapshot(),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO accounts_user (password, last_login, is_superuser, username,
                    first_name, last_name, email, is_staff, is_active, date_joined)
                SELECT '!', %(now)s - interval '80 days', false, 'user' || i, '', '',
                       'user' || i || '@bench.test', false, true, %(now)s - interval '400 days'
                FROM generate_series(1, %(n)s) AS i
                """,
                {"now": now, "n": count},
            )
            cursor.execute(
                """
                INSERT INTO cleanup_cleanupnotice (user_id, email, report_id, due_at,
                    created_at, attempts, last_error)
                SELECT id, email, %(report)s, %(due)s, %(now)s, 0, ''
                FROM accounts_user WHERE NOT is_staff
                """,
                {"report": report.pk, "due": now + timedelta(days=14), "now": now},
            )
            cursor.execute("ANALYZE accounts_user")
            cursor.execute("ANALYZE cleanup_cleanupnotice")
    connection.set_schema_to_public()  # type: ignore[attr-defined]


def outbox_reset(schema: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{schema}".cleanup_cleanupnotice '
            "SET sent_at = NULL, status = 'pending', attempts = 0, last_error = '', "
            "next_attempt_at = NULL, refused_since = NULL"
        )
        cursor.execute(f'VACUUM ANALYZE "{schema}".cleanup_cleanupnotice')


def send_once(schema: str, port: int) -> tuple[float, float, int]:
    """Send the outbox in a child process: (seconds, peak RSS MB, messages sent)."""
    child = subprocess.Popen(
        [common.PYTHON, "-m", "bench.notices", "--child", schema],
        cwd=common.ROOT,
        env=common.bench_env(
            EMAIL_URL=f"smtp://127.0.0.1:{port}",
            NOTICE_RATE_PER_MINUTE="0",
            # The measure is the sender's speed: no daily cap either.
            NOTICE_DAILY_CAP_MIN="0",
            NOTICE_DAILY_CAP_RATIO="0",
            DEFAULT_FROM_EMAIL="noreply@bench.test",
        ),
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"the sender of {schema} exited {status}")
    result = json.loads(output)
    return result["seconds"], usage.ru_maxrss / 1024, result["sent"]


def child(schema: str) -> None:
    common.django_setup()
    from cleanup.services.notices import notices_send

    start = time.perf_counter()
    outcome = notices_send(schema_name=schema)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "sent": outcome.sent, "failed": outcome.failed}))


def raw_smtp_per_s(schema: str, port: int, count: int) -> float:
    """The floor: `count` copies of one rendered notice sent with bare smtplib over one
    connection to the same server — what the SMTP exchange alone costs on this machine."""
    import smtplib

    from django.utils import timezone
    from django_tenants.utils import schema_context

    from cleanup.models import CleanupNotice, CleanupReport
    from cleanup.services.mail import tenant_mail
    from cleanup.services.notices import notice_message
    from policy.rules import PolicySpec

    tenant = tenant_mail(schema)
    assert tenant is not None
    with schema_context(schema):
        notice = CleanupNotice.objects.order_by("id").first()
        assert notice is not None
        report = CleanupReport.objects.get(pk=notice.report_id)
        message = notice_message(
            notice,
            tenant=tenant,
            spec=PolicySpec.from_snapshot(report.policy),
            first_name="user1",
            now=timezone.now(),
        )
    data = message.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]  # SafeMIMEMultipart
    client = smtplib.SMTP("127.0.0.1", port)
    start = time.perf_counter()
    for _ in range(count):
        client.sendmail("noreply@bench.test", [notice.email], data)
    seconds = time.perf_counter() - start
    client.quit()
    return count / seconds


def main(count: int, repeat: int) -> dict[str, Any]:
    common.django_setup()
    common.public_tenant_ensure()
    common.tenants_drop(SCHEMA)
    with common.step(f"outbox of {count} notices"):
        outbox_build(SCHEMA, count)
    port = free_port()
    sink = subprocess.Popen(
        [common.PYTHON, "-m", "bench.smtp_sink", "--port", str(port)],
        cwd=common.ROOT,
        env=common.bench_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout is not None
    if sink.stdout.readline().strip() != "ready":
        raise RuntimeError("the SMTP sink did not start")
    rates, raw_rates, peaks = [], [], []
    try:
        for rep in range(repeat):
            outbox_reset(SCHEMA)
            seconds, peak, sent = send_once(SCHEMA, port)
            if sent != count:
                raise RuntimeError(f"sent {sent} of {count} notices")
            rates.append(count / seconds)
            peaks.append(peak)
            raw_rates.append(raw_smtp_per_s(SCHEMA, port, count))
            common.log(
                f"rep {rep}: {count} notices in {seconds:.1f} s ({rates[-1]:.0f}/s; bare "
                f"smtplib {raw_rates[-1]:.0f}/s), peak RSS {peak:.1f} MB"
            )
    finally:
        sink.terminate()
        accepted = int(sink.communicate(timeout=30)[0].strip() or 0)
        common.tenants_drop(SCHEMA)
    if accepted != 2 * count * repeat:
        raise RuntimeError(f"the SMTP server accepted {accepted} of {2 * count * repeat}")
    rate, raw_rate = common.median(rates), common.median(raw_rates)
    figures = {
        "notice_send_per_s": round(rate),
        "notice_send_raw_smtp_per_s": round(raw_rate),
        # How much slower than the bare SMTP exchange the product is: rendering, MIME,
        # signing, the database.
        "notice_send_vs_raw_smtp": round(raw_rate / rate, 2),
        "notice_send_peak_rss_mb": round(common.median(peaks), 1),
        "notice_send_count": count,
    }
    common.log(f"notices: {figures}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notices", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        sys.exit(0)
    common.results_merge(main(args.notices, args.repeat))
