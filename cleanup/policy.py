"""The policy a run applies, as a plain value: snapshotted into each report."""

from dataclasses import asdict, dataclass, field
from typing import Any

from tenants.models import CleanupPolicy

POLICY_FIELDS = (
    "enabled",
    "inactive_days",
    "never_logged_in_days",
    "action",
    "dry_run",
    "exempt_groups",
    "max_removal_ratio",
    "on_cap",
    "notice_days",
    "delete_after_days",
    "notify_admins",
    "schedule",
    "timezone",
)


@dataclass(frozen=True)
class PolicySpec:
    inactive_days: int = 90
    never_logged_in_days: int = 30
    action: str = "deactivate"
    dry_run: bool = True
    exempt_groups: list[str] = field(default_factory=list)
    max_removal_ratio: float = 0.5
    on_cap: str = "ask"
    notice_days: int = 14
    delete_after_days: int | None = None
    notify_admins: bool = True
    enabled: bool = True
    schedule: str = "0 3 * * *"
    timezone: str = "UTC"

    @classmethod
    def from_policy(cls, policy: CleanupPolicy) -> "PolicySpec":
        return cls(**{name: getattr(policy, name) for name in POLICY_FIELDS})

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> "PolicySpec":
        return cls(**{name: snapshot[name] for name in POLICY_FIELDS if name in snapshot})

    def snapshot(self) -> dict[str, Any]:
        return asdict(self)
