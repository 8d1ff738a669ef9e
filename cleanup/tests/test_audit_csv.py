"""The audit CSV opens safely in a spreadsheet: no cell is read as a formula (OWASP)."""

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django_tenants.utils import schema_context

from cleanup.tests.factories import CleanupAuditEntryFactory, CleanupReportFactory
from core.testing import TENANT_A, client

pytestmark = pytest.mark.django_db

JOINED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def download(admin: dict[str, str], entries: list[dict[str, Any]]) -> list[dict[str, str]]:
    with schema_context("alpha"):
        report = CleanupReportFactory.create(action="delete")
        for i, fields in enumerate(entries):
            CleanupAuditEntryFactory.create(
                report=report,
                user_id=100 + i,
                date_joined=JOINED,
                action="deleted",
                **{"username": f"user{i}", "email": "", **fields},
            )
    response = client(TENANT_A, admin["access"]).get(f"/api/reports/{report.pk}/users/?format=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.test","click")', '\'=HYPERLINK("http://evil.test","click")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("=1+2", "'=1+2"),
    ],
)
@pytest.mark.parametrize("column", ["username", "email", "restored_by"])
def test_a_cell_that_starts_like_a_formula_is_prefixed_with_a_quote(
    admin_a: dict[str, str], column: str, value: str, written: str
) -> None:
    (row,) = download(admin_a, [{column: value}])
    assert row[column] == written


def test_ordinary_values_are_written_unchanged(admin_a: dict[str, str]) -> None:
    last_login = datetime(2025, 6, 7, 8, 9, 10, tzinfo=UTC)
    (row,) = download(
        admin_a,
        [{"username": "ana-maria", "email": "a=b@x.test", "last_login": last_login}],
    )
    assert row == {
        "user_id": "100",
        "username": "ana-maria",
        "email": "a=b@x.test",
        "last_login": "2025-06-07 08:09:10+00:00",
        "last_seen": "",
        "date_joined": "2024-01-02 03:04:05+00:00",
        "reason": "inactive",
        "action": "deleted",
        "noticed_at": "",
        "restored_at": "",
        "restored_by": "",
        "last_active_at": "2025-06-07 08:09:10+00:00",
        "last_active_source": "login",
    }
