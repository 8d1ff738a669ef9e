import pytest
from django.core.exceptions import ValidationError

from policy.schedule import validate_cron

NEVER_FIRES = [
    "0 0 31 2 *",
    "0 0 30 2 *",
    "0 0 30,31 2 *",
    "0 0 31 4,6,9,11 *",
    "0 0 31 2 ?",
    "15 12 31 11 *",
]


@pytest.mark.parametrize("expression", NEVER_FIRES)
def test_a_cron_that_never_fires_is_invalid(expression: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_cron(expression)
    assert "never" in exc.value.messages[0]


@pytest.mark.parametrize(
    "expression",
    [
        "0 3 * * *",
        "0 0 29 2 *",  # every leap year
        "0 0 31 2 1",  # day of month OR day of week: every Monday in February
        "0 0 L 2 *",
        "*/5 * * * *",
        "0 0 31 * *",
    ],
)
def test_a_cron_that_fires_is_valid(expression: str) -> None:
    validate_cron(expression)
