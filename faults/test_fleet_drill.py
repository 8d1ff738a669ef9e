"""Drill: a small fleet due in the same minute, run by a real beat and two real prefork
workers, cleanly and with one worker SIGKILLed mid-way (docs/operations.md#the-fleet-drill;
`make drill` runs 2,000 tenants, and Redis restarted mid-way too). Each time every tenant runs
exactly once, nothing is left queued or running after the reaper's period, and every audit
list matches what happened to the users."""

import pytest

from faults.fleet import Drill
from faults.stack import Stack

TENANTS = 24


@pytest.fixture(scope="module")
def drill(stack: Stack) -> Drill:
    drill = Drill(stack, TENANTS)
    drill.create()
    return drill


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["clean", "kill"])
def test_every_tenant_of_a_fleet_due_at_once_runs_exactly_once_with_its_audit_intact(
    drill: Drill, kind: str
) -> None:
    result = drill.scenario(kind)

    assert result["first_problems"] == []
    assert result["succeeded"] + result["not_succeeded"] == TENANTS
    if kind == "clean":
        assert result["succeeded"] == TENANTS
