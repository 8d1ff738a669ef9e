"""HTML pages outside the API: the keep link of a notice
(docs/architecture.md#notices-and-the-keep-link)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_tenants.utils import get_public_schema_name

from cleanup.services.keep import (
    KeepLinkInvalid,
    KeepLinkTenantSuspended,
    keep_link_follow,
    keep_token_read,
)


@never_cache
@require_http_methods(["GET", "HEAD"])
def keep_link(request: HttpRequest, token: str) -> HttpResponse:
    """`GET /keep/<token>/`: keep the account the token names, and say so; any bad token
    (or the root host, which has no users to keep) gets a 400 page and changes nothing, and
    any token on a suspended tenant's host a 403 page that changes nothing either.

    A HEAD request (link checkers, mail scanners) only says whether the link is valid: it
    never changes anything. The token is in the URL, so the page sends no Referer.
    """
    tenant = request.tenant  # type: ignore[attr-defined]
    public = tenant.schema_name == get_public_schema_name()
    context: dict[str, object] = {"tenant_name": "" if public else tenant.name}
    status = 200
    try:
        if public:
            raise KeepLinkInvalid()
        if not tenant.is_active:
            raise KeepLinkTenantSuspended()
        if request.method == "HEAD":
            keep_token_read(tenant_pk=tenant.pk, token=token)
        else:
            user = keep_link_follow(tenant_pk=tenant.pk, token=token)
            context.update(kept=True, username=user.get_username())
    except KeepLinkInvalid as exc:
        context.update(detail=exc.detail, suspended=isinstance(exc, KeepLinkTenantSuspended))
        status = exc.status_code
    response = render(request, "cleanup/keep.html", context, status=status)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
