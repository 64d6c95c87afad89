"""The app's one :class:`Journeys`: connected to Temporal on first use, then shared."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from starter.client import Journeys, connect, temporal_address

log = logging.getLogger("cpj.web")

JourneysFactory = Callable[[], Awaitable[Journeys]]


class TemporalUnavailable(Exception):
    """Temporal could not be reached; the message says where it was looked for."""


def shared_journeys(journeys_factory: JourneysFactory | None = None) -> JourneysFactory:
    """The app's :class:`Journeys`, made once; ``journeys_factory`` defaults to connecting to Temporal."""

    async def connect_default() -> Journeys:
        return Journeys(await connect())

    factory = journeys_factory or connect_default
    cache: dict[str, Journeys] = {}
    lock = asyncio.Lock()

    async def journeys() -> Journeys:
        if "j" not in cache:
            async with lock:
                if "j" not in cache:
                    try:
                        cache["j"] = await factory()
                    except Exception as err:  # connection errors come in many types
                        log.warning("cannot reach Temporal: %s", err)
                        raise TemporalUnavailable(
                            f"Temporal is not reachable at {temporal_address()}; is the server running?"
                        ) from err
        return cache["j"]

    return journeys
