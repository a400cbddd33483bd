"""The time left and the lateness of an item in the words people use (KAU-RESPONSE-DEADLINE): 24
working hours are one working day, "answer within 1 working day", "2 working days late". Pure."""

from __future__ import annotations

import pytest
from django.utils import translation

from moderation.time_wording import answer_within, late_by


@pytest.fixture(autouse=True)
def english() -> object:
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("hours", "said"),
    [
        (0.2, "answer within 12 min"),
        (0.001, "answer within 1 min"),
        (1.0, "answer within 1 hour"),
        (2.5, "answer within 3 hours"),
        (7.9, "answer within 8 hours"),
        (8.0, "answer within 1 working day"),
        (22.0, "answer within 1 working day"),
        (24.0, "answer within 1 working day"),
        (24.000000001, "answer within 1 working day"),
        (24.5, "answer within 2 working days"),
        (48.0, "answer within 2 working days"),
        (100.0, "answer within 5 working days"),
    ],
)
def test_the_time_left_reads_in_working_days_rounded_up(hours: float, said: str) -> None:
    """KAU-RESPONSE-DEADLINE: the due mark of 24 working hours reads as one working day."""
    assert answer_within(hours) == said


@pytest.mark.parametrize(
    ("hours", "said"),
    [
        (0.0, "1 min late"),
        (0.5, "30 min late"),
        (1.0, "1 hour late"),
        (5.9, "5 hours late"),
        (23.99, "23 hours late"),
        (24.0, "1 working day late"),
        (47.9, "1 working day late"),
        (48.0, "2 working days late"),
        (330.0, "13 working days late"),
    ],
)
def test_lateness_reads_in_working_days_rounded_down(hours: float, said: str) -> None:
    assert late_by(hours) == said


def test_a_shorter_working_day_gives_more_days() -> None:
    """The day length is a parameter: the wording follows the calendar's, not a literal 24."""
    assert answer_within(16, day_hours=8) == "answer within 2 working days"
    assert late_by(16, day_hours=8) == "2 working days late"


def test_the_swedish_plural_forms_are_asked_for_by_count() -> None:
    """ngettext: one form for 1, another for more (the Swedish catalogue gives "arbetsdag"/"arbetsdagar")."""
    assert answer_within(24) != answer_within(48).replace("2", "1")
    assert late_by(24).startswith("1 working day ")
    assert late_by(48).startswith("2 working days ")
