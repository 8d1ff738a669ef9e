"""Serves the dashboard's index.html for every client-side route."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

NOT_BUILT = """<!doctype html><title>Cleanup console</title>
<p>The dashboard is not built yet: run <code>make spa</code> (or <code>make run</code>).
The API is at <a href="/api/docs/">/api/docs/</a>.</p>"""


@require_GET
def spa_index(request: HttpRequest, path: str = "") -> HttpResponse:
    index = settings.SPA_DIST_DIR / "index.html"
    try:
        html = index.read_text()
    except FileNotFoundError:
        return HttpResponse(NOT_BUILT)
    response = HttpResponse(html)
    # The shell is tiny and names hashed assets: never cache it, so a deploy shows at once.
    response["Cache-Control"] = "no-cache"
    return response
