"""Live event routing: a stream gets its own instruments' events and nothing else."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from server.telemetry.live import (
    LIVE_READINGS_TOPIC,
    LiveFilter,
    LiveHub,
    readings_event,
    state_topic,
)

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def test_readings_event_keeps_the_newest_row_per_channel() -> None:
    rows = [
        (1, T0 + timedelta(seconds=2), 2.0, 0, 12),
        (1, T0, 0.0, 0, 10),
        (2, T0, 5.0, 1, 11),
    ]
    doc = json.loads(readings_event(rows))
    ms = int(T0.timestamp() * 1000)
    assert sorted(doc["r"]) == [[1, ms + 2000, 2.0, 0], [2, ms, 5.0, 1]]


async def test_dispatch_delivers_only_the_subscribers_channels_states_and_gateways() -> None:
    hub = LiveHub("127.0.0.1", 1)  # never started: dispatch is exercised directly
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    sub = hub.subscribe(
        LiveFilter(
            channel_ids=frozenset({1}),
            instrument_ids=frozenset({mine}),
            gateway_keys=frozenset({"gw-a"}),
        )
    )
    hub.dispatch(LIVE_READINGS_TOPIC, readings_event([(1, T0, 1.5, 0, 1), (9, T0, 99.0, 0, 2)]))
    hub.dispatch(LIVE_READINGS_TOPIC, readings_event([(9, T0, 99.0, 0, 3)]))
    hub.dispatch(state_topic(theirs), b'{"state": "fault"}')
    hub.dispatch(state_topic(mine), b'{"state": "running"}')
    hub.dispatch("labshare/v1/gw/gw-b/state", b'{"status": "offline"}')
    hub.dispatch("labshare/v1/gw/gw-a/state", b'{"status": "offline"}')
    hub.dispatch("labshare/v1/gw/gw-a/state", b"")  # a cleared retained message
    events = []
    while not sub.queue.empty():
        events.append(sub.queue.get_nowait())
    assert events == [
        (
            "readings",
            {
                "readings": [
                    {
                        "channel_id": 1,
                        "ts": int(T0.timestamp() * 1000),
                        "value": 1.5,
                        "quality": "ok",
                    }
                ]
            },
        ),
        ("state", {"state": "running"}),
        ("gateway", {"gateway": "gw-a", "status": "offline"}),
    ]
    hub.unsubscribe(sub)
    assert hub.subscriber_count == 0
