"""Refusals a service raises and every interface (API, task, command) understands.

Services know nothing of HTTP; each refusal still carries the status code and the body the
API answers with, so `core.api.exception_handler` needs no list of domain exceptions.
"""

from typing import Any


class ServiceError(Exception):
    """A refusal: `detail` is for people, `extra` is merged into the API's error body."""

    status_code = 400
    detail = "The request was refused."

    def __init__(self, detail: str | None = None, **extra: Any):
        self.detail = detail or self.detail
        self.extra = extra
        super().__init__(self.detail)

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, **self.extra}
