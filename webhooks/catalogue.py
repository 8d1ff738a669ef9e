"""The events a tenant's endpoints can subscribe to, and the size of a users event's page
(docs/webhooks.md#events). One home for the list: the API's enum, the emitters and the docs'
catalogue test read it from here."""

RUN_STARTED = "run.started"
RUN_FINISHED = "run.finished"
RUN_AWAITING_APPROVAL = "run.awaiting_approval"
RUN_APPROVED = "run.approved"
RUN_REJECTED = "run.rejected"
RUN_UNDONE = "run.undone"
USERS_WARNED = "users.warned"
USERS_DEACTIVATED = "users.deactivated"
USERS_DELETED = "users.deleted"
USER_KEPT = "user.kept"
USER_REACTIVATED = "user.reactivated"
POLICY_UPDATED = "policy.updated"
EXEMPTION_CREATED = "exemption.created"
EXEMPTION_DELETED = "exemption.deleted"
TOKEN_REVOKED = "token.revoked"

EVENT_TYPES: tuple[str, ...] = (
    RUN_STARTED,
    RUN_FINISHED,
    RUN_AWAITING_APPROVAL,
    RUN_APPROVED,
    RUN_REJECTED,
    RUN_UNDONE,
    USERS_WARNED,
    USERS_DEACTIVATED,
    USERS_DELETED,
    USER_KEPT,
    USER_REACTIVATED,
    POLICY_UPDATED,
    EXEMPTION_CREATED,
    EXEMPTION_DELETED,
    TOKEN_REVOKED,
)
# What an endpoint subscribes to for every type, present and future.
ALL = "*"
# Sent only by "send a test event", to the one endpoint asked; nobody subscribes to it.
TEST = "test"

# A users event names at most this many users: a batch of N users emits ceil(N / 500)
# events, so a run of U users with batches of B (a multiple of 500 by default) makes about
# U / 500 of them (docs/webhooks.md#events).
USERS_PAGE_SIZE = 500
