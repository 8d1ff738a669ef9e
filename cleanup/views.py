"""HTML pages outside the API: the keep link of a notice
(docs/architecture.md#notices-and-the-keep-link)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_tenants.utils import get_public_schema_name

from cleanup.services.keep import (
    KeepLinkInvalid,
    KeepLinkTenantSuspended,
    keep_link_check,
    keep_link_follow,
)


# No CSRF check, on purpose: the page carries no session and sets no cookie, so there is no
# CSRF cookie to compare with, and nothing a forged request could ride on. The token in the
# URL is itself the credential, and only the mail it was sent in knows it; a cross-site form
# that knows it could as well be its owner. The page keeps running no script at all (the CSP
# is unchanged): the button is a plain form.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def keep_link(request: HttpRequest, token: str) -> HttpResponse:
    """`/keep/<token>/` (also without its trailing slash: mail clients wrap long links).

    GET and HEAD show the page — the tenant's name, what will happen to the account and when,
    one "Keep my account" button — and change nothing, however often: mail scanners open every
    link. The button's POST keeps the account (once; a second POST says it is already kept).
    A bad token (or the root host, which has no users to keep) gets a 400 page and changes
    nothing; any token on a suspended tenant's host a 403 page that changes nothing either.
    The token is in the URL, so the page sends no Referer. A POST's body is never read.
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
        if request.method == "POST":
            page = keep_link_follow(tenant_pk=tenant.pk, token=token)
            context.update(kept_now=not page.already_kept)
        else:
            page = keep_link_check(tenant_pk=tenant.pk, token=token)
        context.update(page=page, action_url=f"/keep/{token}/")
    except KeepLinkInvalid as exc:
        context.update(detail=exc.detail, suspended=isinstance(exc, KeepLinkTenantSuspended))
        status = exc.status_code
    response = render(request, "cleanup/keep.html", context, status=status)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
