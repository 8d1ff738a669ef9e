"""`TENANT_LIMIT_SET_CALLS`: django-tenants skips `SET search_path` while the connection
still holds the current schema's, and never when it may not (config/settings.py)."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import schema_context


class Statements:
    """Every statement the connection runs, and the search_path each one ran under."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.sql.append(sql)
        return execute(sql, params, many, context)

    @property
    def sets(self) -> int:
        return sum(1 for sql in self.sql if sql.startswith("SET search_path"))


@pytest.fixture
def statements(live_db: None) -> Iterator[Statements]:
    connection.close()  # a fresh connection: nothing cached
    recorded = Statements()
    with connection.execute_wrapper(recorded):
        yield recorded
    connection.close()


def search_path() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('search_path')")
        return str(cursor.fetchone()[0])


def test_the_setting_is_on() -> None:
    assert settings.TENANT_LIMIT_SET_CALLS is True


def test_one_set_per_schema_however_many_queries(statements: Statements) -> None:
    with schema_context("alpha"):
        paths = {search_path() for _ in range(5)}
    assert paths == {"alpha, public"} and statements.sets == 1


def test_switching_schemas_sets_the_path_again_each_time(statements: Statements) -> None:
    seen = []
    for schema in ("alpha", "beta", "alpha"):
        with schema_context(schema):
            seen.append(search_path())
    assert seen == ["alpha, public", "beta, public", "alpha, public"]
    assert statements.sets == 3


def test_a_rolled_back_transaction_that_set_the_path_does_not_leave_it_unset(
    statements: Statements,
) -> None:
    with schema_context("beta"):
        search_path()  # public's path is set and committed
    with schema_context("alpha"):
        with pytest.raises(RuntimeError), transaction.atomic():
            assert search_path() == "alpha, public"  # set inside the transaction ...
            raise RuntimeError()
        # ... whose rollback undid it: the connection holds beta's path again.
        assert search_path() == "alpha, public"
    assert statements.sets == 3


def test_a_savepoint_rollback_that_undid_the_set_is_noticed(statements: Statements) -> None:
    with schema_context("beta"):
        search_path()
    with schema_context("alpha"), transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            assert search_path() == "alpha, public"
            raise RuntimeError()
        assert search_path() == "alpha, public"
    assert statements.sets == 3
