"""Serves the dashboard's index.html for every client-side route, telling it which console
this host is.

The dashboard must know whether it is the operators' console or a tenant's before anyone
signs in (its login page says "Sign in to acme"), and only the server knows: django-tenants
resolved the host to a tenant. Parsing the host name in the browser broke on a multi-label
BASE_DOMAIN (console.example.com read as tenant "console") and on custom tenant domains
(acme-corp.test read as the root). So the server writes the answer into index.html as a
`<meta>` tag holding JSON; a meta tag, not an inline script, so a strict
Content-Security-Policy (`script-src 'self'`) has nothing to block.
"""

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.views.decorators.http import require_GET
from django_tenants.utils import get_public_schema_name
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

# Read by spa/src/lib/host.tsx.
HOST_META = "cleanup-console-host"

NOT_BUILT = """<!doctype html><title>Cleanup console</title>
<p>The dashboard is not built yet: run <code>make spa</code> (or <code>make run</code>).
The API is at <a href="/api/docs/">/api/docs/</a>.</p>"""


def host_config(request: HttpRequest) -> dict[str, Any]:
    """Which console this host serves, from the tenant django-tenants resolved it to."""
    tenant = request.tenant  # type: ignore[attr-defined]
    platform = tenant.schema_name == get_public_schema_name()
    return {
        "console": "platform" if platform else "tenant",
        "tenant": None if platform else {"schema_name": tenant.schema_name, "name": tenant.name},
        # The operators' console shows the domain a new tenant gets by default.
        "base_domain": settings.BASE_DOMAIN,
    }


@require_GET
def spa_index(request: HttpRequest, path: str = "") -> HttpResponse:
    index = settings.SPA_DIST_DIR / "index.html"
    try:
        html = index.read_text()
    except FileNotFoundError:
        return HttpResponse(NOT_BUILT)
    # format_html escapes the JSON for the attribute (quotes, <, &); the browser unescapes it.
    meta = format_html('<meta name="{}" content="{}">', HOST_META, json.dumps(host_config(request)))
    response = HttpResponse(html.replace("</head>", f"{meta}</head>", 1))
    # The shell is tiny and names hashed assets: never cache it, so a deploy shows at once.
    response["Cache-Control"] = "no-cache"
    return response


@extend_schema(exclude=True)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def host_api(request: Request) -> Response:
    """The same config for the Vite dev server, whose index.html Django does not render."""
    return Response(host_config(request))
