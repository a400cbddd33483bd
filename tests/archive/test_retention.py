"""The retention schedule and its arithmetic (arkivlagen 10 §, RA-FS 2021:6): every rule starts as kept
for ever, a period needs a legal basis, every change is a version; cutoffs in Stockholm calendar months;
which records a hold covers; and the admin deletes none of it."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.utils import translation

from archive import retention, retention_services
from archive.models import Disposal, DisposalEntry, LegalHold, RecordType, RetentionRule, Tombstone
from core.calendar import STOCKHOLM
from tests.conftest import Cast

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=STOCKHOLM)


def test_the_cutoff_is_the_start_of_the_day_the_period_before() -> None:
    assert retention.cutoff_for(12, now=NOW) == datetime(2025, 11, 26, tzinfo=STOCKHOLM)
    assert retention.cutoff_for(1, now=datetime(2026, 3, 31, 1, tzinfo=STOCKHOLM)) == datetime(
        2026, 2, 28, tzinfo=STOCKHOLM
    )
    # Just after midnight in Stockholm is still the previous day in UTC: the Swedish day counts.
    late = datetime(2026, 12, 31, 23, 30, tzinfo=STOCKHOLM)
    assert retention.cutoff_for(24, now=late) == datetime(2024, 12, 31, tzinfo=STOCKHOLM)


def test_a_rule_without_a_period_never_yields_a_cutoff() -> None:
    assert retention.cutoff_for(None, now=NOW) is None
    assert retention.cutoff_for(0, now=NOW) is None


def test_the_period_in_words() -> None:
    with translation.override("en"):
        assert retention.describe_period(None) == "Kept for ever (bevaras)"
        assert retention.describe_period(24) == "Disposed of after 2 years"
        assert retention.describe_period(12) == "Disposed of after 1 year"
        assert retention.describe_period(18) == "Disposed of after 18 months"


@pytest.mark.parametrize(
    ("hold", "record", "held"),
    [
        (retention.Hold(1, None, None, None), (1, [None], date(2025, 1, 1)), True),
        (retention.Hold(1, None, None, None), (2, [None], date(2025, 1, 1)), False),
        (retention.Hold(None, 7, None, None), (2, [7], date(2025, 1, 1)), True),
        (retention.Hold(None, 7, None, None), (2, [8], date(2025, 1, 1)), False),
        (
            retention.Hold(None, None, date(2025, 1, 1), date(2025, 1, 31)),
            (3, [None], date(2025, 1, 31)),
            True,
        ),
        (
            retention.Hold(None, None, date(2025, 1, 1), date(2025, 1, 31)),
            (3, [None], date(2025, 2, 1)),
            False,
        ),
        (retention.Hold(3, None, date(2025, 1, 1), date(2025, 1, 31)), (3, [None], date(2025, 1, 5)), True),
        (retention.Hold(3, None, date(2025, 1, 1), date(2025, 1, 31)), (4, [None], date(2025, 1, 5)), False),
        (retention.Hold(None, None, date(2025, 1, 1), date(2025, 1, 31)), (None, [], date(2025, 1, 5)), True),
    ],
)
def test_which_records_a_hold_covers(hold: retention.Hold, record: tuple, held: bool) -> None:
    account_id, item_ids, day = record
    assert retention.is_held([hold], account_id=account_id, item_ids=item_ids, day=day) is held


@pytest.mark.django_db
def test_every_rule_is_seeded_and_keeps_for_ever() -> None:
    rules = {rule.record_type: rule for rule in RetentionRule.objects.all()}
    assert set(rules) == set(RecordType.values)
    assert all(rule.period_months is None for rule in rules.values())
    assert all(rule.history.count() == 1 for rule in rules.values())


@pytest.mark.django_db
def test_a_period_needs_a_legal_basis_and_every_change_is_a_version(cast: Cast) -> None:
    rule = RetentionRule.objects.get(record_type="item")
    with pytest.raises(ValidationError) as refused:
        retention_services.update_rule(
            rule.pk, period_months=24, legal_basis=" ", by=cast["registrar"], reason="", now=NOW
        )
    assert "legal_basis" in refused.value.message_dict
    retention_services.update_rule(
        rule.pk,
        period_months=24,
        legal_basis="RA-FS 2021:6",
        by=cast["registrar"],
        reason="Plan 2026",
        now=NOW,
    )
    retention_services.update_rule(
        rule.pk, period_months=None, legal_basis="", by=cast["registrar"], reason="Bevaras igen", now=NOW
    )
    versions = list(rule.history.order_by("history_id").values_list("period_months", "history_change_reason"))
    assert versions[1:] == [(24, "Plan 2026"), (None, "Bevaras igen")]


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["social_media_lead", "communications", "communicator", "head_of_unit"])
def test_only_the_archivist_changes_the_schedule(cast: Cast, person: str) -> None:
    rule = RetentionRule.objects.get(record_type="item")
    with pytest.raises(PermissionDenied):
        retention_services.update_rule(
            rule.pk, period_months=24, legal_basis="RA-FS 2021:6", by=cast[person], reason="", now=NOW
        )


@pytest.mark.django_db
def test_a_hold_is_lifted_with_a_reason_and_stays(cast: Cast) -> None:
    hold = retention_services.place_hold(
        account_id=None,
        item_id=None,
        start=date(2025, 1, 1),
        end=date(2025, 1, 31),
        reason="request",
        description="Begäran 2026/9",
        by=cast["registrar"],
        now=NOW,
    )
    with pytest.raises(ValidationError):
        retention_services.lift_hold(hold.pk, reason=" ", by=cast["registrar"], now=NOW)
    retention_services.lift_hold(hold.pk, reason="Besvarad", by=cast["registrar"], now=NOW)
    hold.refresh_from_db()
    assert not hold.is_active
    assert hold.history.count() == 2
    with pytest.raises(ValidationError):
        retention_services.lift_hold(hold.pk, reason="Igen", by=cast["registrar"], now=NOW)
    with pytest.raises(PermissionDenied):
        retention_services.place_hold(
            account_id=None,
            item_id=None,
            start=None,
            end=None,
            reason="request",
            description="x",
            by=cast["communicator"],
            now=NOW,
        )


@pytest.mark.django_db
@pytest.mark.parametrize("model", [RetentionRule, LegalHold, Disposal, DisposalEntry, Tombstone])
def test_the_admin_deletes_none_of_it(cast: Cast, model: type) -> None:
    request = RequestFactory().get("/")
    request.user = cast["staff"]
    model_admin = admin.site._registry[model]
    assert model_admin.has_delete_permission(request) is False
    assert "delete_selected" not in model_admin.get_actions(request)


def test_the_daily_proposal_is_scheduled() -> None:
    assert settings.CELERY_BEAT_SCHEDULE["propose-disposal"]["task"] == "archive.tasks.propose_disposal"
