"""A timescale given in months and days, "within 3 months (91 days)": the earlier of the two dates."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from domain.calendar import WorkingDayCalendar
from domain.policy import Citation, Rule, Unit
from domain.released import canonical, digest
from shipped.profiles import load_profile, profile_ids
from shipped.released import RELEASED, RELEASED_DIR

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
#: "3 months (91 days)", "two weeks (14 days)": a count with a day count beside it.
DOUBLE_COUNT = re.compile(r"\b(\d+) (months?|weeks?) \((\d+) days\)")

england = WorkingDayCalendar()


def rule(amount: int, unit: Unit, or_days: int | None, direction: str = "after") -> Rule:
    citation = Citation(source="000_7f04eaf80fcc0ebe.txt", section="test", quote="a quote for the test")
    return Rule(amount=amount, unit=unit, or_days=or_days, direction=direction, citation=citation)


# Darlington, seed 000, "Child Protection Review Conference (CPRC)".

def test_darlington_first_review_within_3_months_91_days_is_due_a_day_before_3_months() -> None:
    # "the first review conference must be held within 3 months (91 days) of the initial conference":
    # an ICPC on 20 Nov 2026 is reviewed by 19 Feb 2027 (91 days), not 20 Feb (3 months, 92 days).
    first_review = load_profile("darlington").rule("first_review")
    due = england.due(date(2026, 11, 20), first_review)
    assert due.due == date(2027, 2, 19)
    assert due.reason.startswith("3 months (91 days) after 2026-11-20: the earlier, 2027-02-19 by 91 days, "
                                 "not 2027-02-20 by 3 months")
    assert first_review.describe() == "3 months or 91 days after"


def test_darlington_first_review_keeps_3_months_where_they_are_the_shorter() -> None:
    # An ICPC on 30 Nov 2026: 3 months end on 28 Feb 2027 (90 days), before the 91st day (1 Mar).
    due = england.due(date(2026, 11, 30), load_profile("darlington").rule("first_review"))
    assert due.due == date(2027, 2, 28)
    assert "the earlier, 2027-02-28 by 3 months, not 2027-03-01 by 91 days" in due.reason


def test_darlington_reviews_not_more_than_6_months_182_days_apart() -> None:
    # "Further reviews must be held at intervals of not more than 6 months (182 days)": a review on
    # 1 Mar 2027 is followed by 30 Aug 2027 (182 days), not 1 Sep (6 months, 184 days).
    review_interval = load_profile("darlington").rule("review_interval")
    due = england.due(date(2027, 3, 1), review_interval)
    assert due.due == date(2027, 8, 30)
    assert due.reason.startswith("6 months (182 days) after 2027-03-01: the earlier, 2027-08-30 by 182 days")
    assert review_interval.describe() == "6 months or 182 days after"


def test_the_same_date_both_ways_says_so() -> None:
    # 31 Aug + 3 months is 30 Nov, which is also the 91st day.
    due = england.due(date(2026, 8, 31), rule(3, Unit.MONTHS, 91))
    assert due.due == date(2026, 11, 30)
    assert due.reason.startswith("3 months (91 days) after 2026-08-31: 2026-11-30 either way")


def test_before_a_day_the_stricter_is_also_the_earlier_date() -> None:
    # "At least 3 months (91 days) before the due date" is met only by the longer notice: for a
    # birth due 1 Mar 2027, 3 months before is 1 Dec 2026 (90 days) but 91 days is 30 Nov.
    at_least = rule(3, Unit.MONTHS, 91, direction="before")
    assert england.due(date(2027, 3, 1), at_least).due == date(2026, 11, 30)
    # For one due 31 May 2027, 3 months before is 28 Feb (92 days), the 91st day before 1 Mar.
    assert england.due(date(2027, 5, 31), at_least).due == date(2027, 2, 28)
    assert at_least.describe() == "3 months or 91 days before"


def test_weeks_with_days_and_a_rule_with_no_day_count_count_as_before() -> None:
    assert england.due(date(2027, 1, 4), rule(2, Unit.WEEKS, 14)).reason.startswith(
        "2 weeks (14 days) after 2027-01-04: 2027-01-18 either way")
    assert england.due(date(2026, 11, 20), rule(3, Unit.MONTHS, None)).due == date(2027, 2, 20)


def test_a_day_count_qualifies_only_months_or_weeks() -> None:
    with pytest.raises(ValidationError, match="or_days qualifies a count in months or weeks"):
        rule(15, Unit.WORKING_DAYS, 21)
    with pytest.raises(ValidationError):
        rule(3, Unit.MONTHS, 0)


@pytest.mark.parametrize("profile_id", profile_ids())
def test_every_rule_quoting_months_with_a_day_count_takes_the_day_count(profile_id: str) -> None:
    seeds = " ".join((SEEDS / name).read_text(encoding="utf-8") for name in sorted(SEEDS.glob("*.txt")))
    for key, each in load_profile(profile_id).rules.items():
        counts = DOUBLE_COUNT.findall(each.citation.quote)
        assert len(counts) <= 1, f"{profile_id}.{key}: which count applies?"
        if counts:
            amount, unit, days = counts[0]
            assert (each.amount, each.unit.value.removesuffix("s"), each.or_days) == (
                int(amount), unit.removesuffix("s"), int(days)), f"{profile_id}.{key} reads its quote by one count"
        else:
            assert each.or_days is None, f"{profile_id}.{key}: a day count its quote does not give"
    assert DOUBLE_COUNT.search(seeds), "the seeds give such counts; a pattern that finds none tests nothing"


def test_released_profiles_from_before_the_day_count_load_and_keep_their_pin() -> None:
    old = RELEASED["darlington@2026.1"]
    document = json.loads((RELEASED_DIR / "darlington@2026.1.json").read_text(encoding="utf-8"))
    assert old.profile.rules["first_review"].or_days is None
    assert canonical(old.profile) == document["profile"]  # re-dumped, it reads as it was released
    assert old.pin == document["pin"] == f"darlington@2026.1#{digest(document['profile'])}"
    assert england.due(date(2026, 11, 20), old.profile.rule("first_review")).due == date(2027, 2, 20)
    assert RELEASED["darlington@2026.2"].profile.rules["first_review"].or_days == 91
