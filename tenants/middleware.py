"""A suspended tenant's host refuses its API and Django admin (docs/architecture.md#security)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django_tenants.utils import get_public_schema_name

SUSPENDED = "This tenant is suspended."


class SuspendedTenantMiddleware:
    """Answers 403 on `/api/` and `/admin/` of a tenant whose `is_active` is off.

    After django-tenants' TenantMainMiddleware, which loads the tenant fresh on every
    request, so suspending (or reinstating) takes effect at once on every web process; before
    anything that authenticates, so a suspended tenant's tokens, logins and throttle counters
    are not even looked at. `/healthz` and `/readyz` are answered earlier, on any host. A
    notice's keep link answers a suspended tenant with its own 403 page (`cleanup.views`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        # The public tenant is the operators' site, never suspended: its is_active box, if
        # unticked in the root admin, must not lock the operators out of that admin.
        if (
            tenant is not None
            and not tenant.is_active
            and tenant.schema_name != get_public_schema_name()
        ):
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": SUSPENDED}, status=403)
            if request.path_info.startswith("/admin/"):
                return HttpResponse(SUSPENDED, status=403, content_type="text/plain")
        return self.get_response(request)
