"""API tokens: their format, their hash, and the check on every use
(docs/architecture.md#api-tokens).

A token is `cc_<prefix>_<secret>`: 8 lowercase letters or digits, then 40 letters or digits
(about 238 random bits). The database keeps the prefix (the lookup key, unique in the
schema) and the SHA-256 of the secret, never the secret: a copy of the database, a backup
or a log of its statements lets nobody use a token. The secret is long and random, so a
fast hash is enough (a password hasher's cost defends guessable secrets, not these) and
keeps the check cheap on every request. The digest is compared in constant time.

Only ASCII is accepted, by an explicit pattern (`[0-9]`, never `\\d`, which matches every
script's digits): a token with a NUL, a Unicode digit or anything else malformed is refused
before the database is asked.
"""

import hashlib
import hmac
import ipaddress
import re
import secrets
import string
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import ApiToken, User
from accounts.tokens import current_tenant_id
from core.scopes import TOKEN_DEFAULT_DAYS, TOKEN_MAX_DAYS

PREFIX_LENGTH, SECRET_LENGTH = 8, 40
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits
TOKEN_PATTERN = re.compile(rf"cc_([a-z0-9]{{{PREFIX_LENGTH}}})_([A-Za-z0-9]{{{SECRET_LENGTH}}})")
# What marks an Authorization header as an API token rather than a JWT.
TOKEN_MARK = b"cc_"
# last_used_at / last_used_ip are written at most this often per token.
LAST_USED_INTERVAL = timedelta(minutes=1)
# Expiry, in days: the default and the ceiling (core.scopes).
DEFAULT_DAYS, MAX_DAYS = TOKEN_DEFAULT_DAYS, TOKEN_MAX_DAYS

# One message for every refusal that could tell a guesser something (no such prefix, a
# wrong secret, a malformed token): whether a prefix exists stays secret.
INVALID = "Invalid API token."


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def token_mint() -> tuple[str, str]:
    """A new token's prefix and secret (the caller stores the prefix and `secret_hash`)."""
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_LENGTH))
    return prefix, secret


def token_text(prefix: str, secret: str) -> str:
    return f"cc_{prefix}_{secret}"


def token_load(raw: str, now: datetime) -> ApiToken:
    """The live token `raw` names, with its owner; AuthenticationFailed (401) otherwise.

    Once the secret is proven right, the refusal says what is wrong (another tenant's,
    revoked, expired, owner deactivated): only the token's holder can learn it. A token
    whose owner was deactivated by any path — a run, the Django admin, an SQL UPDATE — is
    refused on its very next use (the owner row is read with the token, every request) and
    marked revoked then, if no service path marked it already.
    """
    match = TOKEN_PATTERN.fullmatch(raw)
    if match is None:
        raise AuthenticationFailed(INVALID, code="token_invalid")
    prefix, secret = match.groups()
    digest = secret_hash(secret)
    # No ORDER BY (the prefix is unique): the model's default ordering would add one.
    found = list(ApiToken.objects.select_related("user").filter(prefix=prefix).order_by()[:1])
    token = found[0] if found else None
    if token is None or not hmac.compare_digest(digest, token.secret_hash):
        raise AuthenticationFailed(INVALID, code="token_invalid")
    if token.tenant_id != current_tenant_id():
        raise AuthenticationFailed("Token is not valid for this host.", code="token_invalid")
    if token.revoked_at is not None:
        raise AuthenticationFailed("This API token has been revoked.", code="token_revoked")
    if token.expires_at <= now:
        raise AuthenticationFailed("This API token has expired.", code="token_expired")
    if not token.user.is_active:
        ApiToken.objects.owners_revoke([token.user_id], ApiToken.Reason.OWNER_DEACTIVATED)
        raise AuthenticationFailed("This API token has been revoked.", code="token_revoked")
    return token


def token_touch(token: ApiToken, ip: str, now: datetime) -> None:
    """Record the token's use, at most once per LAST_USED_INTERVAL: nothing when the loaded
    row is recent, else one conditional UPDATE, so parallel requests on several processes
    write it once."""
    stale = now - LAST_USED_INTERVAL
    if token.last_used_at is not None and token.last_used_at > stale:
        return
    try:
        address: str | None = str(ipaddress.ip_address(ip))
    except ValueError:
        address = None
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
    ).update(last_used_at=now, last_used_ip=address)
    token.last_used_at, token.last_used_ip = now, address


def token_status(token: ApiToken, now: datetime | None = None) -> str:
    """`active`, `expired` or `revoked` (an owner deactivated counts as revoked)."""
    now = now or timezone.now()
    if token.revoked_at is not None or not token.user.is_active:
        return "revoked"
    return "expired" if token.expires_at <= now else "active"


def owner_role(user: User, *, public: bool) -> str:
    """The role a token of `user` is bounded by: `operator` for a superuser on the root
    host, else the tenant role."""
    if public:
        return "operator" if user.is_superuser else ""
    return user.role
