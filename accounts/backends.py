"""Who may sign in with a password (API and Django admin)."""

from typing import Any

from django.contrib.auth.backends import ModelBackend


class PersonBackend(ModelBackend):
    """Django's backend for people only: a service account acts through API tokens alone
    (docs/architecture.md#api-tokens), so even a password set on one by hand signs in nowhere."""

    def user_can_authenticate(self, user: Any) -> bool:
        return super().user_can_authenticate(user) and getattr(user, "kind", "person") == "person"
