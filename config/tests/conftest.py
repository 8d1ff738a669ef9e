from typing import Any

import pytest

from config.tests.helpers import ROOT, TENANT_A, make_user, tokens


@pytest.fixture
def admin_a(tenant_a: Any) -> dict[str, str]:
    """Tokens of alpha's first admin (created with the session's tenants)."""
    return tokens(TENANT_A, "admin", "admin-pass-123")


@pytest.fixture
def member_a(tenant_a: Any) -> dict[str, str]:
    make_user("alpha", "member")
    return tokens(TENANT_A, "member")


@pytest.fixture
def operator(db: None) -> dict[str, str]:
    make_user("public", "operator", is_superuser=True, is_staff=True)
    return tokens(ROOT, "operator")
