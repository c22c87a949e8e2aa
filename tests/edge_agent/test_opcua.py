"""OPC UA (LADS) instruments: status and unit mapping, configuration, and the whole path
from an asyncua server through the gateway, Mosquitto and ingest into PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from asyncua import ua
from asyncua.ua.status_codes import StatusCodes

from edge_agent.calibration import CalibrationBook
from edge_agent.clock import SystemClock
from edge_agent.opcua_source import (
    OpcUaDeviceSource,
    lads_state_code,
    quality_for_status,
    unit_from_eu,
)
from firmware_bridge.simulators.lads import LadsSimulator
from mqtt_contract.gateway_config import ConfigError, OpcUaDevice, parse_config
from mqtt_contract.v1 import QUALITY_CODES, Quality
from tests.harness.edge import Collect, chamber, running, running_gateway, wait_until
from tests.harness.ports import free_port
from tests.harness.telemetry import (  # noqa: F401
    Seeder,
    WorkerFactory,
    eventually,
    seeder,
    start_worker,
    stored_values,
)

UNIT = "0:Objects/2:DeviceSet/2:Incubator/2:FunctionalUnitSet/2:IncubatorUnit"
TEMPERATURE = f"{UNIT}/2:TemperatureController/2:CurrentValue"


# -- mapping rules ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "quality", "kept"),
    [
        (StatusCodes.Good, None, True),
        (StatusCodes.Good | 0x200, None, True),  # Good with the "high limit" bit
        (StatusCodes.UncertainLastUsableValue, Quality.STALE, True),
        (StatusCodes.UncertainSubstituteValue, Quality.STALE, True),
        (StatusCodes.UncertainEngineeringUnitsExceeded, Quality.OUT_OF_RANGE, True),
        (StatusCodes.UncertainSensorNotAccurate, Quality.OUT_OF_RANGE, True),
        (StatusCodes.BadOutOfRange, Quality.OUT_OF_RANGE, False),
        (StatusCodes.BadCommunicationError, Quality.COMM_FAIL, False),
        (StatusCodes.BadSensorFailure, Quality.COMM_FAIL, False),
        (StatusCodes.BadWaitingForInitialData, Quality.COMM_FAIL, False),
    ],
)
def test_status_code_families_map_onto_quality(code: int, quality: Quality, kept: bool) -> None:
    assert quality_for_status(code) == (quality, kept)


def test_eu_information_maps_onto_registry_units() -> None:
    def eu(code: str, display: str = "") -> ua.EUInformation:
        unit_id = 0
        for char in code:
            unit_id = (unit_id << 8) | ord(char)
        return ua.EUInformation(UnitId=unit_id, DisplayName=ua.LocalizedText(display))

    assert unit_from_eu(eu("CEL", "°C")) == "degC"
    assert unit_from_eu(eu("KPA")) == "kPa"
    assert unit_from_eu(eu("P1", "%")) == "percent"
    # An unknown code falls back on a display name the registry reads...
    assert unit_from_eu(eu("ZZZ", "mbar")) == "mbar"
    # ... and gives up when neither is known.
    assert unit_from_eu(eu("ZZZ", "furlongz")) is None


def test_lads_states_are_numbers_a_status_rule_maps() -> None:
    assert lads_state_code(ua.LocalizedText("Running", "en")) == 1
    assert lads_state_code("Stopped") == 0
    assert lads_state_code("Aborted") == 4
    assert lads_state_code("Dancing") is None


# -- configuration ---------------------------------------------------------------------------
def opcua_doc(endpoint: str, **device: Any) -> dict[str, Any]:
    return {
        "gateway": {"key": "gw-opcua"},
        "devices": [
            {
                "key": "incubator",
                "protocol": "opcua",
                "endpoint": endpoint,
                "points": [
                    {"key": "temperature", "browse_path": TEMPERATURE, "unit": "degC"},
                ],
                **device,
            }
        ],
    }


def issues(document: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    return [str(i) for i in caught.value.issues]


def test_the_example_configuration_is_valid(repo_root: Path) -> None:
    config = parse_config(
        yaml.safe_load((repo_root / "edge_agent/examples/opcua-lads.yaml").read_text())
    )
    device = config.devices[0]
    assert isinstance(device, OpcUaDevice)
    assert "incubator.state" in device.all_point_keys()


def test_check_command_summarises_the_example(repo_root: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "edge_agent.cli",
            "check",
            str(repo_root / "edge_agent/examples/opcua-lads.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # Two configured points and the LADS unit's state, program runtime, step and two results.
    assert "- incubator: opcua opc.tcp://127.0.0.1:4840/labshare/lads/, 7 points" in result.stdout
    # One property and one command's state.
    assert "- incubator-sila: sila2 127.0.0.1, 2 points, subscribed" in result.stdout


def test_opcua_errors_name_the_field() -> None:
    bad = opcua_doc("http://x:4840")
    bad["devices"][0]["points"].append({"key": "humidity", "browse_path": "Objects/Humidity"})
    bad["devices"][0]["points"].append(
        {"key": "co2", "node_id": "ns=2;s=CO2", "browse_path": TEMPERATURE}
    )
    found = issues(bad)
    assert any(f.startswith("devices[0].endpoint: an OPC UA endpoint is") for f in found)
    assert any(
        f.startswith("devices[0].points[1].browse_path: browse path segments") for f in found
    )
    assert "devices[0].points[2]: give exactly one of node_id and browse_path" in found


def test_security_policy_and_mode_go_together() -> None:
    found = issues(opcua_doc("opc.tcp://x:4840", security_policy="Basic256Sha256"))
    assert found == [
        "devices[0]: security_policy and security_mode are both 'None' or both set "
        "(policy Basic256Sha256, mode None)"
    ]
    found = issues(
        opcua_doc(
            "opc.tcp://x:4840", security_policy="Basic256Sha256", security_mode="SignAndEncrypt"
        )
    )
    assert found == ["devices[0]: a secured endpoint needs certificate and private_key"]


def test_a_point_may_not_shadow_a_lads_point() -> None:
    bad = opcua_doc(
        "opc.tcp://x:4840",
        lads={"functional_units": [{"key": "incubator", "browse_path": UNIT}]},
    )
    bad["devices"][0]["points"].append({"key": "incubator.state", "node_id": "ns=2;s=S"})
    assert issues(bad) == [
        "devices[0].points: point key 'incubator.state' is also a point of the lads section"
    ]


def test_lads_result_values_are_checked() -> None:
    bad = opcua_doc(
        "opc.tcp://x:4840",
        lads={
            "functional_units": [
                {
                    "key": "incubator",
                    "browse_path": UNIT,
                    "results": [
                        {
                            "key": "mean",
                            "name": "MeanTemperature",
                            "source_unit": "degC",
                            "unit": "kg",
                        }
                    ],
                }
            ]
        },
    )
    assert issues(bad) == [
        "devices[0].lads.functional_units[0].results[0]: "
        "'kg' is not compatible with source unit 'degC'"
    ]


def test_check_command_refuses_a_bad_opcua_config(tmp_path: Path) -> None:
    path = tmp_path / "gateway.yaml"
    document = opcua_doc("opc.tcp://x:4840")
    document["devices"][0]["points"][0]["unit"] = "kg"
    document["devices"][0]["points"][0]["source_unit"] = "degC"
    path.write_text(yaml.safe_dump(document))
    result = subprocess.run(
        [sys.executable, "-m", "edge_agent.cli", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "devices[0].points[0].unit" in result.stdout + result.stderr


# -- against the simulator -------------------------------------------------------------------
def lads_device(endpoint: str, **extra: Any) -> OpcUaDevice:
    return OpcUaDevice.model_validate(
        {
            "key": "incubator",
            "protocol": "opcua",
            "endpoint": endpoint,
            "watchdog_s": 0.3,
            "timeout_s": 1.0,
            "reconnect_max_s": 1.0,
            "publishing_interval_ms": 100,
            "lads": {
                "functional_units": [{"key": "incubator", "browse_path": UNIT, "repeat_s": 0.5}]
            },
            "points": [
                {
                    "key": "temperature",
                    "browse_path": TEMPERATURE,
                    "unit": "degC",
                    "sampling_interval_ms": 100,
                }
            ],
            **extra,
        }
    )


@pytest.fixture
async def lads() -> Any:
    simulator = LadsSimulator(port=free_port(), tick_s=0.05)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.mark.integration
@pytest.mark.timeout(60)
async def test_status_codes_units_and_reconnect_against_the_simulator(lads: Any) -> None:
    sink = Collect()
    # The point is configured in kelvin: the node's EUInformation (°C) is converted.
    device = lads_device(lads.endpoint)
    device = device.model_copy(
        update={
            "points": [
                device.points[0].model_copy(update={"unit": "K", "source_unit": "K"}),
            ]
        }
    )
    source = OpcUaDeviceSource(device, sink, SystemClock(), CalibrationBook())
    async with running(source.run()):
        await wait_until(lambda: bool(sink.of("temperature")), 10, "first temperature")
        first = sink.of("temperature")[0]
        assert first.quality is Quality.OK
        assert first.value == pytest.approx(22.0 + 273.15, abs=0.5)
        assert abs(first.ts_ms - time.time() * 1000) < 5000  # the server's timestamp, in ms

        # An unchanged LADS state is published again every repeat_s, stamped anew.
        await wait_until(lambda: len(sink.of("incubator.state")) >= 3, 5, "repeated state")
        states = sink.of("incubator.state")
        assert {r.value for r in states} == {0.0}
        assert states[2].ts_ms - states[1].ts_ms >= 400

        await lads.set_status(StatusCodes.UncertainLastUsableValue)
        await wait_until(
            lambda: sink.of("temperature")[-1].quality is Quality.STALE, 5, "an uncertain value"
        )
        assert sink.of("temperature")[-1].value is not None
        await lads.set_status(StatusCodes.BadSensorFailure)
        await wait_until(
            lambda: sink.of("temperature")[-1].quality is Quality.COMM_FAIL, 5, "a bad value"
        )
        assert sink.of("temperature")[-1].value is None
        await lads.set_status(StatusCodes.Good)

        # The server goes away: comm_fail once, then the subscription is made again.
        await lads.stop()
        await wait_until(lambda: source.health.status == "failing", 10, "the loss noticed")
        assert sink.of("incubator.state")[-1].quality is Quality.COMM_FAIL
        await lads.start()
        await wait_until(lambda: source.sessions >= 2, 15, "a new subscription")
        await wait_until(
            lambda: sink.of("temperature")[-1].quality is Quality.OK, 10, "values again"
        )
        assert source.health.status == "ok"


@pytest.mark.integration
@pytest.mark.timeout(90)
async def test_lads_run_reaches_the_database_through_the_gateway(
    lads: Any,
    mosquitto: Any,
    seeder: Seeder,  # noqa: F811
    start_worker: WorkerFactory,  # noqa: F811
    database_conninfo: str,
    tmp_path: Path,
) -> None:
    gw = seeder.gateway(
        "gw-lads",
        {
            ("incubator", "temperature"): "degC",
            ("incubator", "incubator.state"): "dimensionless",
            ("incubator", "incubator.program_runtime"): "s",
            ("incubator", "incubator.step"): "dimensionless",
            ("incubator", "incubator.mean_temperature"): "degC",
        },
    )
    await start_worker()
    device = lads_device(lads.endpoint).model_dump(mode="json", by_alias=True)
    device["lads"]["functional_units"][0]["results"] = [
        {"key": "mean_temperature", "name": "MeanTemperature", "unit": "degC"}
    ]
    state_channel = gw.channels[("incubator", "incubator.state")]

    def states() -> list[float]:
        """The stored states in time order, a repeated unchanged state counted once."""
        values = [v for v in stored_values(database_conninfo, state_channel) if v is not None]
        return [v for i, v in enumerate(values) if i == 0 or values[i - 1] != v]

    async with running_gateway("gw-lads", mosquitto, tmp_path, [device]):
        await eventually(lambda: states() == [0.0], 20, "the stopped state stored")
        await lads.start_program("incubate-37", "run-0001", duration_s=1.5)
        await lads.wait_program()
        await eventually(lambda: states()[-1:] == [0.0] and 1.0 in states(), 20, "a whole run")
        mean = gw.channels[("incubator", "incubator.mean_temperature")]
        await eventually(
            lambda: bool(seeder.query("SELECT 1 FROM telemetry WHERE channel_id = %s", (mean,))),
            20,
            "the run's result stored",
        )
    # Stopped -> Running -> (Stopping, if sampled) -> Stopped, in order, each once.
    assert [s for s in states() if s != 2.0] == [0.0, 1.0, 0.0]
    temperature = gw.channels[("incubator", "temperature")]
    rows = seeder.query(
        "SELECT value, quality FROM telemetry WHERE channel_id = %s", (temperature,)
    )
    assert rows
    assert {q for _, q in rows} == {QUALITY_CODES[Quality.OK]}
    assert max(v for v, _ in rows) > 25.0  # the program heated towards 37 °C
    # The finished run's result (from the ResultSet) is stored once, as the server read it.
    results = seeder.query("SELECT value FROM telemetry WHERE channel_id = %s", (mean,))
    assert len(results) == 1
    assert results[0][0] == pytest.approx(lads.results[-1].mean_temperature)
    steps = seeder.scalar(
        "SELECT max(value) FROM telemetry WHERE channel_id = %s",
        (gw.channels[("incubator", "incubator.step")],),
    )
    assert steps == 3


@pytest.mark.integration
@pytest.mark.timeout(60)
async def test_a_dead_opcua_server_does_not_delay_modbus_or_another_opcua_server(
    lads: Any, mosquitto: Any, modbus_servers: Any, silent_peer: Any, tmp_path: Path
) -> None:
    peer = await modbus_servers([chamber()])
    host, port = silent_peer  # accepts the TCP connection and never answers
    alive = lads_device(lads.endpoint).model_dump(mode="json", by_alias=True)
    dead = {**alive, "key": "dead", "endpoint": f"opc.tcp://{host}:{port}", "timeout_s": 2.0}
    async with running_gateway(
        "gw-dead-opcua",
        mosquitto,
        tmp_path,
        [
            dead,
            alive,
            {
                "key": "chamber-1",
                "protocol": "modbus_tcp",
                "host": "127.0.0.1",
                "port": peer.port,
                "poll_interval_s": 0.1,
                "points": [{"key": "power", "register": "holding", "address": 6}],
            },
        ],
        batched=False,
    ) as gateway:
        await wait_until(lambda: "chamber-1" in gateway.pollers, 10, "devices started")
        poller = gateway.pollers["chamber-1"]
        started = time.monotonic()
        await wait_until(
            lambda: gateway.opcua_sources["incubator"].health.status == "ok",
            10,
            "the live OPC UA server subscribed",
        )
        await asyncio.sleep(3.0)  # longer than the dead server's connect timeout
        elapsed = time.monotonic() - started
        # The Modbus device kept its 10 Hz schedule (half of it leaves room for a busy machine).
        assert poller.health.polls >= elapsed * 10 / 2
        assert gateway.opcua_sources["incubator"].notifications > 0
        dead_health = gateway.opcua_sources["dead"].health
        assert dead_health.status == "failing"
        assert dead_health.error is not None
        assert f"{host}:{port}" in dead_health.error


@pytest.fixture
async def certificates(tmp_path: Path) -> dict[str, str]:
    """Self-signed server and client certificates (DER) with their keys (PEM)."""
    from asyncua.crypto.cert_gen import setup_self_signed_certificate
    from cryptography.x509.oid import ExtendedKeyUsageOID

    files: dict[str, str] = {}
    for role, uri, use in (
        ("server", "urn:labshare:simulators:lads", ExtendedKeyUsageOID.SERVER_AUTH),
        ("client", "urn:labshare:edge:test", ExtendedKeyUsageOID.CLIENT_AUTH),
    ):
        key, cert = tmp_path / f"{role}-key.pem", tmp_path / f"{role}-cert.der"
        await setup_self_signed_certificate(
            key, cert, uri, "localhost", [use], {"commonName": role}
        )
        files[f"{role}_key"], files[f"{role}_cert"] = str(key), str(cert)
    return files


@pytest.mark.integration
@pytest.mark.timeout(60)
async def test_signed_and_encrypted_endpoint_with_user_and_password(
    certificates: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator = LadsSimulator(
        port=free_port(),
        tick_s=0.05,
        certificate=certificates["server_cert"],
        private_key=certificates["server_key"],
        users={"lab": "s3cret"},
    )
    await simulator.start()
    monkeypatch.setenv("LABSHARE_TEST_OPCUA_PASSWORD", "s3cret")
    monkeypatch.setenv("LABSHARE_TEST_OPCUA_WRONG", "guess")
    secured = {
        "security_policy": "Basic256Sha256",
        "security_mode": "SignAndEncrypt",
        "certificate": certificates["client_cert"],
        "private_key": certificates["client_key"],
        "application_uri": "urn:labshare:edge:test",
        "username": "lab",
    }
    good, bad = Collect(), Collect()
    sources = [
        OpcUaDeviceSource(
            lads_device(simulator.endpoint, **secured, password_env="LABSHARE_TEST_OPCUA_PASSWORD"),
            good,
            SystemClock(),
            CalibrationBook(),
        ),
        OpcUaDeviceSource(
            lads_device(simulator.endpoint, **secured, password_env="LABSHARE_TEST_OPCUA_WRONG"),
            bad,
            SystemClock(),
            CalibrationBook(),
        ),
    ]
    # Without security the endpoint refuses the client altogether.
    plain = OpcUaDeviceSource(
        lads_device(simulator.endpoint), Collect(), SystemClock(), CalibrationBook()
    )
    try:
        async with running(*(s.run() for s in (*sources, plain))):
            await wait_until(
                lambda: bool(good.of("temperature")), 20, "values over the secure channel"
            )
            assert good.of("temperature")[-1].quality is Quality.OK
            await wait_until(
                lambda: sources[1].health.failures >= 1, 20, "the wrong password refused"
            )
            await wait_until(lambda: plain.health.failures >= 1, 20, "the insecure client refused")
            assert sources[1].health.status == "failing"
            assert "BadUserAccessDenied" in (sources[1].health.error or "")
            assert not [r for r in bad.readings if r.value is not None]
            assert plain.health.status == "failing"
            assert "No matching endpoints" in (plain.health.error or "")
    finally:
        await simulator.stop()


@pytest.mark.integration
@pytest.mark.timeout(60)
async def test_signed_and_encrypted_endpoint_with_a_user_certificate(
    certificates: dict[str, str], tmp_path: Path
) -> None:
    from asyncua.crypto.cert_gen import setup_self_signed_certificate
    from cryptography.x509.oid import ExtendedKeyUsageOID

    # A second client certificate the server does not trust as a user.
    other_key, other_cert = tmp_path / "other-key.pem", tmp_path / "other-cert.der"
    await setup_self_signed_certificate(
        other_key,
        other_cert,
        "urn:labshare:edge:other",
        "localhost",
        [ExtendedKeyUsageOID.CLIENT_AUTH],
        {"commonName": "other"},
    )
    simulator = LadsSimulator(
        port=free_port(),
        tick_s=0.05,
        certificate=certificates["server_cert"],
        private_key=certificates["server_key"],
        user_certificates=[certificates["client_cert"]],
    )
    await simulator.start()
    secured = {"security_policy": "Basic256Sha256", "security_mode": "SignAndEncrypt"}
    good, bad = Collect(), Collect()
    trusted = OpcUaDeviceSource(
        lads_device(
            simulator.endpoint,
            **secured,
            certificate=certificates["client_cert"],
            private_key=certificates["client_key"],
            application_uri="urn:labshare:edge:test",
        ),
        good,
        SystemClock(),
        CalibrationBook(),
    )
    stranger = OpcUaDeviceSource(
        lads_device(
            simulator.endpoint,
            **secured,
            certificate=str(other_cert),
            private_key=str(other_key),
            application_uri="urn:labshare:edge:other",
        ),
        bad,
        SystemClock(),
        CalibrationBook(),
    )
    try:
        async with running(trusted.run(), stranger.run()):
            await wait_until(
                lambda: bool(good.of("temperature")), 20, "values as a certificate user"
            )
            assert good.of("temperature")[-1].quality is Quality.OK
            await wait_until(lambda: stranger.health.failures >= 1, 20, "the stranger refused")
            assert "BadUserAccessDenied" in (stranger.health.error or "")
            assert not [r for r in bad.readings if r.value is not None]
    finally:
        await simulator.stop()


@pytest.mark.integration
@pytest.mark.timeout(60)
async def test_the_server_applies_the_deadband_of_a_monitored_item(lads: Any) -> None:
    sink = Collect()
    device = lads_device(
        lads.endpoint,
        points=[
            {
                "key": "temperature",
                "browse_path": TEMPERATURE,
                "unit": "degC",
                "sampling_interval_ms": 50,
            },
            {
                "key": "coarse",
                "browse_path": TEMPERATURE,
                "unit": "degC",
                "sampling_interval_ms": 50,
                "server_deadband": 2.0,
            },
        ],
    )
    source = OpcUaDeviceSource(device, sink, SystemClock(), CalibrationBook())
    async with running(source.run()):
        await wait_until(lambda: bool(sink.of("coarse")), 10, "the first coarse value")
        await lads.start_program("heat", "run-deadband", duration_s=1.5, target=37.0)
        await lads.wait_program()
        await wait_until(
            lambda: (sink.of("temperature")[-1].value or 0) > 35, 10, "the heating seen"
        )
    fine = [r.value for r in sink.of("temperature") if r.value is not None]
    coarse = [r.value for r in sink.of("coarse") if r.value is not None]
    # The server sent the coarse item only changes beyond 2 °C (asyncua's server compares
    # each write with the one before it; the heating's first steps are 3 and 2.4 °C, later
    # ones smaller); the same node without a deadband sent every step.
    assert len(coarse) >= 2
    assert all(abs(b - a) > 2.0 for a, b in itertools.pairwise(coarse))
    assert len(fine) > 3 * len(coarse)
