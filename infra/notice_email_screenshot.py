"""Render a sample notice email and screenshot its HTML part in Chromium, for the README.

    .venv/bin/python infra/notice_email_screenshot.py [docs/screenshots/notice-email.png]

The email is built by the product's own code (`notice_message`: templates, subject, keep
link) from sample data; nothing touches a database. Also prints the plain-text part. Needs
Debian's chromium (CHROMIUM_PATH) and spa/node_modules (playwright-core).
"""

import os
import secrets
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SHOOT = """
import { chromium } from 'playwright-core';
const [html, out] = process.argv.slice(1);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
const page = await browser.newPage({ viewport: { width: 720, height: 600 }, deviceScaleFactor: 1 });
await page.goto('file://' + html);
await page.screenshot({ path: out, fullPage: true });
await browser.close();
"""


def main(out: Path) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        ENV_FILE="",
        DEBUG="1",
        SECRET_KEY=secrets.token_urlsafe(50),
        BASE_DOMAIN="example.com",
        TENANT_URL="https://{domain}/",
        DEFAULT_FROM_EMAIL="noreply@example.com",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from cleanup.models import CleanupNotice
    from cleanup.services.mail import TenantMail
    from cleanup.services.notices import notice_message
    from core.mail import from_address
    from policy.rules import PolicySpec

    now = datetime(2026, 2, 28, 3, 0, tzinfo=UTC)
    tenant = TenantMail(
        pk=7,
        schema_name="acme",
        name="Acme Corp",
        is_active=True,
        url="https://acme.example.com/",
        from_email=from_address("Acme Corp"),
    )
    notice = CleanupNotice(
        pk=1042, user_id=311, email="jdoe@acme.example.com", due_at=now, report_id=1
    )
    spec = PolicySpec(notice_days=14, delete_after_days=30, timezone="Europe/Berlin")
    message = notice_message(notice, tenant=tenant, spec=spec, first_name="jdoe", now=now)
    html = str(message.alternatives[0][0])  # type: ignore[index]
    print(f"From: {message.from_email}\nTo: {notice.email}\nSubject: {message.subject}\n")
    print(message.body)
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as page:
        page.write(html)
    try:
        subprocess.run(  # noqa: S603 -- our own script and paths
            ["node", "--input-type=module", "-e", SHOOT, page.name, str(out.resolve())],  # noqa: S607
            cwd=ROOT / "spa",
            check=True,
        )
    finally:
        os.unlink(page.name)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs/screenshots/notice-email.png"))
