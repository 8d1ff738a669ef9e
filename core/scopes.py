"""API tokens' scopes: their names, what each role may hold, and what a view declares
(docs/architecture.md#api-tokens).

Core imports no app, so the roles are the strings `accounts.models.User.Role` stores, as in
`core.api`. A token's scopes never exceed its owner's role: checked when the token is made
and again on every use, against the role the owner holds then (`scopes_allowed`).
"""

REPORTS_READ = "reports:read"
AUDIT_READ = "audit:read"
POLICY_READ = "policy:read"
POLICY_WRITE = "policy:write"
CLEANUP_RUN = "cleanup:run"
OVERSIGHT_WRITE = "oversight:write"
EXEMPTIONS_WRITE = "exemptions:write"
SIGNALS_WRITE = "signals:write"
SCIM = "scim"
WEBHOOKS_WRITE = "webhooks:write"
PLATFORM_READ = "platform:read"
PLATFORM_RUN = "platform:run"

TENANT_SCOPES = (
    REPORTS_READ,
    AUDIT_READ,
    POLICY_READ,
    POLICY_WRITE,
    CLEANUP_RUN,
    OVERSIGHT_WRITE,
    EXEMPTIONS_WRITE,
    SIGNALS_WRITE,
    SCIM,
    WEBHOOKS_WRITE,
)
PLATFORM_SCOPES = (PLATFORM_READ, PLATFORM_RUN)
ALL_SCOPES = TENANT_SCOPES + PLATFORM_SCOPES

# What an auditor reads: the roles' own rule (`core.api.IsTenantAdmin`), as scopes.
AUDITOR_SCOPES = (REPORTS_READ, AUDIT_READ, POLICY_READ)
# The pseudo-role of a public-schema superuser (`GET /api/me/` says `operator` too).
OPERATOR = "operator"
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "admin": TENANT_SCOPES,
    "auditor": AUDITOR_SCOPES,
    OPERATOR: PLATFORM_SCOPES,
}

# A token's expiry, in days: the default, and the ceiling of every tenant's token_max_days
# (the operators' own limit on the root host). Here, below both the accounts app that makes
# tokens and the policy app that holds each tenant's limit.
TOKEN_DEFAULT_DAYS, TOKEN_MAX_DAYS = 90, 366

# What a view declares for a method besides a scope:
# - ANY_TOKEN: any valid token of the caller may call it (`GET /api/me/`, a caller's own
#   tokens), as any JWT may;
# - SESSION_ONLY: tokens are refused (403): what makes credentials or grants roles needs a
#   person signed in, so a leaked token can neither mint a broader or longer-lived token
#   nor raise anyone's role.
ANY_TOKEN = "(any token)"
SESSION_ONLY = "(signed-in session only)"


def scopes_allowed(role: str) -> tuple[str, ...]:
    """The scopes a holder of `role` ("admin", "auditor", "operator", "" for none) may hold."""
    return ROLE_SCOPES.get(role, ())
