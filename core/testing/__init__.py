"""What API tests share: clients bound to a host, tokens, a whole policy body. Users come from
`accounts.tests.factories.UserFactory` (core imports no app)."""

from rest_framework.test import APIClient

TENANT_A, TENANT_B, ROOT = "alpha.localhost", "beta.localhost", "localhost"
PASSWORD = "a-long-enough-password"
# A whole policy body (PUT), every field at its default.
FULL_POLICY = {
    "enabled": True,
    "inactive_days": 90,
    "never_logged_in_days": 30,
    "action": "deactivate",
    "dry_run": True,
    "exempt_groups": [],
    "max_removal_ratio": 0.5,
    "on_cap": "ask",
    "notice_days": 14,
    "delete_after_days": None,
    "notify_admins": True,
    "schedule": "0 3 * * *",
    "timezone": "UTC",
}


def client(host: str, access: str | None = None) -> APIClient:
    api = APIClient(HTTP_HOST=host)
    if access:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api


def tokens(host: str, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client(host).post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()
