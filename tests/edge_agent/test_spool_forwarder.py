from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge_agent.clock import FakeClock
from edge_agent.fakes import FakePublisher
from edge_agent.forwarder import Forwarder, encode_batch
from edge_agent.poller import Reading
from edge_agent.spool import SampleSpool
from mqtt_contract.v1 import Quality, decode_batch


def readings(
    n: int, start_ts: int = 1_700_000_000_000, point: str = "temperature"
) -> list[Reading]:
    return [
        Reading(
            device="chamber-1",
            point=point,
            unit="degC",
            ts_ms=start_ts + i,
            value=20.0 + i / 100,
            quality=Quality.OK,
            latency_ms=1.5,
        )
        for i in range(n)
    ]


def all_seqs(published: FakePublisher) -> list[int]:
    out: list[int] = []
    for message in published.messages:
        batch = decode_batch(message.payload)
        out += [s.seq for series in batch.series for s in series.samples]
    return out


def test_seq_is_strictly_increasing_and_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    spool = SampleSpool(path)
    first = spool.append(readings(3))
    assert [s.seq for s in first] == [1, 2, 3]
    spool.delete([1, 2, 3])
    assert spool.depth == 0
    spool.close()
    reopened = SampleSpool(path)
    assert reopened.last_seq == 3
    assert [s.seq for s in reopened.append(readings(2))] == [4, 5]
    assert reopened.depth == 2
    assert reopened.db_journal_mode() == "wal"
    reopened.close()


def test_fetch_returns_oldest_first_within_bounds(tmp_path: Path) -> None:
    spool = SampleSpool(tmp_path / "s.sqlite3")
    spool.append(readings(10))
    got = spool.fetch(after=2, below=8, limit=3)
    assert [s.seq for s in got] == [3, 4, 5]
    assert got[0].reading == readings(10)[2]
    spool.close()


def test_size_cap_drops_oldest_and_counts_persistently(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    spool = SampleSpool(path, max_bytes=200_000)
    for _ in range(40):
        spool.append(readings(500))
    assert spool.used_bytes() <= 200_000
    assert spool.dropped_total > 0
    assert spool.depth + spool.dropped_total == 20_000
    oldest = spool.fetch(after=0, below=10**9, limit=1)[0].seq
    assert oldest == spool.dropped_total + 1
    dropped = spool.dropped_total
    spool.close()
    assert SampleSpool(path).dropped_total == dropped


def test_encoded_batch_groups_series_and_matches_contract() -> None:
    spool_rows = [
        *[(i + 1, r) for i, r in enumerate(readings(3))],
        *[(i + 4, r) for i, r in enumerate(readings(2, point="power"))],
    ]
    from edge_agent.spool import SpooledSample

    payload = encode_batch("demo-gw-01", 5, [SpooledSample(seq, r) for seq, r in spool_rows])
    batch = decode_batch(payload)
    assert [(s.point, [x.seq for x in s.samples]) for s in batch.series] == [
        ("temperature", [1, 2, 3]),
        ("power", [4, 5]),
    ]
    assert json.loads(payload)["series"][0]["samples"][0] == [1, 1_700_000_000_000, 20.0, "ok", 1.5]


@pytest.fixture
def rig(tmp_path: Path) -> tuple[Forwarder, SampleSpool, FakePublisher, FakeClock]:
    spool = SampleSpool(tmp_path / "s.sqlite3")
    publisher = FakePublisher()
    clock = FakeClock()
    forwarder = Forwarder(
        "demo-gw-01", spool, publisher, clock, max_samples=100, max_inflight=4, drain_rate=500
    )
    yield forwarder, spool, publisher, clock
    spool.close()


def test_samples_leave_the_spool_only_on_puback(
    rig: tuple[Forwarder, SampleSpool, FakePublisher, FakeClock],
) -> None:
    forwarder, spool, publisher, _clock = rig
    forwarder.on_connected()
    forwarder.submit(readings(250))
    forwarder.pump()
    assert [len(decode_batch(m.payload).series[0].samples) for m in publisher.messages] == [
        100,
        100,
        50,
    ]
    assert all(
        m.qos == 1 and m.topic == "labshare/v1/gw/demo-gw-01/telemetry" for m in publisher.messages
    )
    assert spool.depth == 250
    forwarder.on_ack(publisher.messages[1].mid)
    assert spool.depth == 150
    assert [s.seq for s in spool.fetch(0, 10**9, 1)] == [1]
    forwarder.on_ack(publisher.messages[0].mid)
    forwarder.on_ack(publisher.messages[2].mid)
    forwarder.on_ack(publisher.messages[2].mid)  # duplicate acknowledgements are harmless
    assert spool.depth == 0
    assert forwarder.samples_acked == 250


def test_outage_backlog_drains_oldest_first_at_bounded_rate_beside_live(
    rig: tuple[Forwarder, SampleSpool, FakePublisher, FakeClock],
) -> None:
    forwarder, spool, publisher, clock = rig
    forwarder.submit(readings(1000))  # spooled while offline: nothing is published
    forwarder.pump()
    assert publisher.messages == []
    forwarder.on_connected()
    clock.advance(0.2)  # 0.2 s at 500 samples/s -> 100 backlog samples allowed
    forwarder.submit(readings(30, start_ts=1_800_000_000_000, point="power"))
    forwarder.pump()
    seqs_by_message = [
        [s.seq for series in decode_batch(m.payload).series for s in series.samples]
        for m in publisher.messages
    ]
    assert seqs_by_message == [list(range(1001, 1031)), list(range(1, 101))]
    for message in publisher.messages:
        forwarder.on_ack(message.mid)
    sent_before = len(publisher.messages)
    for _ in range(20):
        clock.advance(0.2)
        forwarder.pump()
        for message in publisher.messages[sent_before:]:
            forwarder.on_ack(message.mid)
        sent_before = len(publisher.messages)
    seqs = all_seqs(publisher)
    assert sorted(seqs) == list(range(1, 1031))
    assert len(seqs) == len(set(seqs))
    backlog_order = [s for s in seqs if s <= 1000]
    assert backlog_order == sorted(backlog_order)
    assert spool.depth == 0
    assert not forwarder.backlog_pending


def test_in_flight_batches_are_not_sent_twice_after_reconnect(
    rig: tuple[Forwarder, SampleSpool, FakePublisher, FakeClock],
) -> None:
    forwarder, spool, publisher, clock = rig
    forwarder.on_connected()
    forwarder.submit(readings(50))
    forwarder.pump()
    assert len(publisher.messages) == 1
    forwarder.on_disconnected()
    forwarder.submit(readings(20))
    forwarder.on_connected()
    clock.advance(1)
    forwarder.pump()
    # The first batch is still queued in the MQTT client; only the 20 offline samples go again.
    assert all_seqs(publisher) == list(range(1, 71))
    for message in publisher.messages:
        forwarder.on_ack(message.mid)
    assert spool.depth == 0


def test_refused_publish_keeps_samples_for_the_backlog(
    rig: tuple[Forwarder, SampleSpool, FakePublisher, FakeClock],
) -> None:
    forwarder, spool, publisher, clock = rig
    forwarder.on_connected()
    publisher.refuse = True
    forwarder.submit(readings(10))
    forwarder.pump()
    assert spool.depth == 10
    publisher.refuse = False
    clock.advance(1)
    forwarder.pump()
    assert all_seqs(publisher) == list(range(1, 11))


def test_cap_never_drops_samples_awaiting_puback(tmp_path: Path) -> None:
    spool = SampleSpool(tmp_path / "s.sqlite3", max_bytes=120_000)
    publisher = FakePublisher()
    forwarder = Forwarder("demo-gw-01", spool, publisher, FakeClock(), max_samples=100)
    forwarder.on_connected()
    forwarder.submit(readings(100))
    forwarder.pump()
    (in_flight,) = publisher.messages
    forwarder.on_disconnected()
    for _ in range(30):
        forwarder.submit(readings(500))
    assert spool.dropped_total > 0
    kept = {s.seq for s in spool.fetch(0, 10**9, 10**6)}
    assert set(range(1, 101)) <= kept
    # The oldest samples not in flight went first.
    assert min(kept - set(range(1, 101))) == 101 + spool.dropped_total
    forwarder.on_ack(in_flight.mid)
    assert spool.depth + spool.dropped_total == 15_000
    spool.close()


def test_samples_taken_by_a_full_cap_are_not_sent_live(tmp_path: Path) -> None:
    spool = SampleSpool(tmp_path / "s.sqlite3", max_bytes=60_000)
    publisher = FakePublisher()
    forwarder = Forwarder(
        "demo-gw-01", spool, publisher, FakeClock(), max_samples=500, max_inflight=100
    )
    forwarder.on_connected()
    for _ in range(20):  # never acknowledged: in-flight messages alone exceed the cap
        forwarder.submit(readings(500))
        forwarder.pump()
    sent = all_seqs(publisher)
    assert spool.dropped_total > 0
    assert len(sent) == len(set(sent))
    # Every sample was either published or counted as dropped, never both.
    assert len(sent) + spool.dropped_total == 10_000
    spool.close()


def test_a_reissued_message_id_never_releases_unacknowledged_samples(
    rig: tuple[Forwarder, SampleSpool, FakePublisher, FakeClock],
) -> None:
    forwarder, spool, publisher, clock = rig
    forwarder.on_connected()
    forwarder.submit(readings(10))
    forwarder.pump()
    (lost,) = publisher.messages  # its PUBACK never comes
    publisher._next_mid = lost.mid  # the 16-bit id comes round again, e.g. for a heartbeat
    forwarder.release_mid(publisher.publish("labshare/v1/gw/demo-gw-01/heartbeat", b"{}", qos=0))
    forwarder.on_ack(lost.mid)  # the heartbeat's acknowledgement
    assert spool.depth == 10
    clock.advance(1)
    forwarder.pump()
    resent = publisher.messages[-1]
    assert [s.seq for x in decode_batch(resent.payload).series for s in x.samples] == list(
        range(1, 11)
    )
    forwarder.on_ack(resent.mid)
    assert spool.depth == 0


@pytest.mark.parametrize("reason_code", [0x10, 0x80, 0x87, 0x97])
def test_a_puback_that_is_not_success_keeps_the_samples_and_retries_with_backoff(
    rig: tuple[Forwarder, SampleSpool, FakePublisher, FakeClock], reason_code: int
) -> None:
    """0x10 "no matching subscribers" (a broker restarted before the ingest worker
    subscribed again) is no delivery: an MQTT 3.1.1 client would have deleted these."""
    forwarder, spool, publisher, clock = rig
    forwarder.on_connected()
    forwarder.submit(readings(30))
    forwarder.pump()
    (first,) = publisher.messages
    forwarder.on_ack(first.mid, reason_code)
    assert spool.depth == 30
    assert forwarder.samples_acked == 0
    assert forwarder.rejected_by_reason == {reason_code: 1}
    assert forwarder.retry_pending
    # Live samples arriving during the pause are spooled, not sent.
    forwarder.submit(readings(5, start_ts=1_800_000_000_000))
    clock.advance(0.4)
    forwarder.pump()
    assert len(publisher.messages) == 1
    # After the backoff everything goes again from the oldest sample; rejected again, the
    # pause doubles.
    clock.advance(0.2)
    forwarder.pump()
    assert all_seqs(publisher)[30:] == list(range(1, 36))
    forwarder.on_ack(publisher.messages[-1].mid, reason_code)
    sent = len(publisher.messages)
    clock.advance(0.9)
    forwarder.pump()
    assert len(publisher.messages) == sent
    clock.advance(0.2)
    forwarder.pump()
    retry = publisher.messages[-1]
    assert [s.seq for x in decode_batch(retry.payload).series for s in x.samples] == list(
        range(1, 36)
    )
    forwarder.on_ack(retry.mid, 0)
    assert spool.depth == 0
    assert forwarder.samples_rejected == 65
    assert not forwarder.retry_pending


def test_batches_are_split_below_the_brokers_message_size_limit(tmp_path: Path) -> None:
    spool = SampleSpool(tmp_path / "s.sqlite3")
    publisher = FakePublisher()
    forwarder = Forwarder(
        "demo-gw-01", spool, publisher, FakeClock(), max_samples=5000, max_payload_bytes=20_000
    )
    forwarder.on_connected()
    forwarder.submit(readings(5000))
    forwarder.pump()
    assert len(publisher.messages) > 1
    assert all(len(m.payload) <= 20_000 for m in publisher.messages)
    assert sorted(all_seqs(publisher)) == list(range(1, 5001))
    spool.close()
