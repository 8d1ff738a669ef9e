"""Where the web server listens, and so where development links point: one variable,
GUNICORN_BIND, decides both. Imported by settings and by infra/gunicorn.conf.py (so: no
Django here).

Every process of a stack gets the same environment (`make run` through honcho and `.env`,
compose through its shared `environment`), so the worker that mails a keep link and the
command that prints the demo's addresses name the port gunicorn really listens on.
"""

import os

from gunicorn.util import parse_address

DEFAULT_BIND = "0.0.0.0:8000"


def gunicorn_bind() -> str:
    """GUNICORN_BIND, or the default when it is unset or empty."""
    return os.environ.get("GUNICORN_BIND") or DEFAULT_BIND


def development_url(bind: str) -> str:
    """TENANT_URL's default with DEBUG on: plain HTTP on the port gunicorn binds.

    `bind` is read with gunicorn's own parser, so `127.0.0.1:8123`, `[::1]:8123`, `tcp://`
    and a port-less host (gunicorn's 8000) mean what they mean to gunicorn. A unix socket or
    an inherited file descriptor has a proxy in front whose port is unknown here: its links
    use the scheme's default port. Raises ValueError for an address gunicorn would refuse.
    """
    try:
        address = parse_address(bind)
    except RuntimeError as exc:
        raise ValueError(str(exc)) from exc
    if not isinstance(address, tuple):
        return "http://{domain}/"
    port = address[1]
    return "http://{domain}/" if port == 80 else f"http://{{domain}}:{port}/"
