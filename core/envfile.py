"""The `.env` file of a local stack, read by every process that needs its variables: Django's
settings and gunicorn's config (so: no Django here).

`make run` starts its processes without handing them `.env` (honcho would lay it over the
shell's variables); each reads it itself, for the variables its environment does not set.
So an exported variable always wins: `DEBUG=0 make run`, `EMAIL_URL=smtp://… make run`.
"""

import os
from pathlib import Path

import environ

PROJECT_ENV_FILE = Path(__file__).resolve().parent.parent / ".env"


def env_file_read() -> str:
    """Read `ENV_FILE` (default: the project's `.env`; empty: none) into `os.environ`, for the
    variables the environment does not already set. Returns the path, or "" for none."""
    path = os.environ.get("ENV_FILE", str(PROJECT_ENV_FILE))
    if path:
        environ.Env.read_env(path)
    return path
