"""Calibration sets and configurations pushed over MQTT are validated before use."""

from __future__ import annotations

import json

import pytest
import yaml

from edge_agent.agent import Gateway
from mqtt_contract.gateway_config import parse_config
from mqtt_contract.v1 import Calibration, CalibrationSet, encode
from tests.harness.edge import doc


def gateway() -> Gateway:
    return Gateway(parse_config(doc()))


def calibration_set(gateway_key: str) -> bytes:
    return encode(
        CalibrationSet(
            gateway=gateway_key,
            issued_at_ms=1,
            corrections=[
                Calibration(
                    id="c1",
                    device="chamber-1",
                    point="temperature",
                    kind="offset_gain",
                    offset=0.5,
                    valid_from_ms=0,
                    valid_to_ms=10**13,
                )
            ],
        )
    )


def test_calibration_for_this_gateway_is_applied_and_can_be_cleared() -> None:
    gw = gateway()
    gw._on_message("labshare/v1/gw/demo-gw-01/calibration", calibration_set("demo-gw-01"))
    assert gw.calibrations.correct("chamber-1", "temperature", 5, 20.0) == (20.5, "c1")
    gw._on_message("labshare/v1/gw/demo-gw-01/calibration", b"")
    assert gw.calibrations.correct("chamber-1", "temperature", 5, 20.0) == (20.0, None)


@pytest.mark.parametrize(
    "payload",
    [
        calibration_set("other-gw"),
        b"{not json",
        json.dumps({"v": 1, "gateway": "demo-gw-01"}).encode(),
    ],
)
def test_bad_calibration_sets_are_rejected_and_the_current_one_kept(
    payload: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    gw = gateway()
    gw._on_message("labshare/v1/gw/demo-gw-01/calibration", calibration_set("demo-gw-01"))
    gw._on_message("labshare/v1/gw/demo-gw-01/calibration", payload)
    assert gw.calibrations.correct("chamber-1", "temperature", 5, 20.0) == (20.5, "c1")
    assert "calibration set" in caplog.text
    assert "rejected" in caplog.text


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"gateway: [unclosed", "not valid YAML"),
        (yaml.safe_dump(doc(gateway={"key": "other-gw"})).encode(), "is for gateway other-gw"),
        (json.dumps(doc(mqtt={"port": 0})).encode(), "mqtt.port"),
    ],
)
def test_bad_pushed_configs_are_rejected_and_the_running_one_kept(
    payload: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    gw = gateway()
    before = gw.config_hash
    gw._on_message("labshare/v1/gw/demo-gw-01/config", payload)
    assert gw.config_rejections == 1
    assert gw.config_hash == before
    assert reason in caplog.text


def test_pushing_the_running_config_again_changes_nothing() -> None:
    gw = gateway()
    before = gw.config_hash
    gw._on_message("labshare/v1/gw/demo-gw-01/config", json.dumps(doc()).encode())
    assert gw.config_hash == before
    assert gw.config_rejections == 0
