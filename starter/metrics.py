"""Events accepted and refused, counted where every caller's events go: :class:`starter.client.Journeys`.

The admin tool, the API and the CLI all send through it, so one decorator on its sending methods counts
them all; the admin tool serves the counts at ``/metrics`` (``starter.web.metrics``). A CLI run's counts
end with it. Labels are an event's type (from the models, a bounded set) and the outcome, never a reference.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from prometheus_client import Counter

EVENTS = Counter(
    "cpj_events",
    "Events sent to journeys, conferences and complaints, by type and outcome: accepted; resend (the same "
    "event again, applied once); refused (the workflow or a check said no); unanswered (no worker answered); "
    "failed (anything else)",
    ["type", "outcome"],
)

T = TypeVar("T")


@functools.cache
def known_types() -> frozenset[str]:
    """Every event type a journey, a conference or a complaint takes, openings included."""
    from domain.complaints import COMPLAINT_EVENTS
    from domain.conference import CONFERENCE_EVENTS
    from domain.events import EVENT_TYPES, FEED_EVENTS

    models = [*EVENT_TYPES.values(), *FEED_EVENTS, *CONFERENCE_EVENTS, *COMPLAINT_EVENTS]
    return frozenset(model.model_fields["type"].default for model in models) | {
        "strategy_discussion", "transfer_in", "complaint_made", "disagreement_raised"}


def type_label(event: Any) -> str:
    kind = getattr(event, "type", None)
    return kind if kind in known_types() else "other"


def _outcome_of(result: Any) -> str:
    receipt = getattr(result, "receipt", result)  # an Answer carries a Receipt; a start's result says resend itself
    return "resend" if getattr(receipt, "resend", False) else "accepted"


def counts_events(event_at: int) -> Callable[[Callable[..., Awaitable[T]]], Callable[..., Awaitable[T]]]:
    """Count each call of a sending method by its event (the ``event_at``-th positional argument after self)."""

    def decorate(send: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        @functools.wraps(send)
        async def counted(self, *args, **kwargs) -> T:
            from domain.case_refs import CaseRefRefused
            from starter.client import EventRejected, JourneyExists, JourneyNotFound, NotAnswered

            kind = type_label(args[event_at] if len(args) > event_at else None)
            try:
                result = await send(self, *args, **kwargs)
            except (EventRejected, JourneyExists, JourneyNotFound, CaseRefRefused):
                EVENTS.labels(type=kind, outcome="refused").inc()
                raise
            except NotAnswered:
                EVENTS.labels(type=kind, outcome="unanswered").inc()
                raise
            except Exception:
                EVENTS.labels(type=kind, outcome="failed").inc()
                raise
            EVENTS.labels(type=kind, outcome=_outcome_of(result)).inc()
            return result

        return counted

    return decorate
