"""An SPC alarm reaches its responsible user in the app and by e-mail, through the outbox and
the real dispatcher, over a real SMTP server; once, however often the dispatcher runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header

import httpx
import pytest
from fastapi import FastAPI

from server.jobs import JobSettings
from server.notifications.dispatcher import dispatch_pending
from server.notifications.smtp import SmtpSender
from tests.harness.app import API, Login, SmtpInbox
from tests.harness.factories import World

pytestmark = pytest.mark.integration


@pytest.fixture
def job_settings() -> JobSettings:
    return JobSettings(jobs_enabled=False)  # the test runs the dispatcher itself


async def test_an_out_of_specification_result_is_notified_in_app_and_by_mail(
    app: FastAPI, client: httpx.AsyncClient, login: Login, demo: World, smtp_inbox: SmtpInbox
) -> None:
    manager = await login("manager@zjim.demo")
    created = await client.post(
        f"{API}/inspection/characteristics",
        json={"product": "shaft-40", "key": "diameter", "name": "Shaft diameter",
              "unit": "mm", "nominal": 25.0, "lsl": 24.97, "usl": 25.03, "chart": "imr",
              "subgroup_size": 1},
        headers=manager,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    t0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    posted = await client.post(
        f"{API}/inspection/characteristics/{cid}/results",
        json={"station": "gauge-1", "results": [
            {"ts": (t0 + timedelta(minutes=i)).isoformat(), "value": v, "part": f"S-{i}"}
            for i, v in enumerate([25.001, 24.999, 25.05])]},
        headers=manager,
    )  # fmt: skip
    assert posted.status_code == 201, posted.text
    [alarm] = (await client.get(f"{API}/inspection/alarms", headers=manager)).json()
    assert alarm["kind"] == "out_of_spec"

    settings = JobSettings(
        jobs_enabled=False, smtp_host=smtp_inbox.host, smtp_port=smtp_inbox.port,
        smtp_from="labshare <noreply@labshare.test>",
    )  # fmt: skip
    sent = await dispatch_pending(app.state.sessionmaker, settings, SmtpSender(settings))
    assert sent == 1
    assert smtp_inbox.recipients == [["manager@zjim.demo"]]
    subject = str(make_header(decode_header(smtp_inbox.messages[0]["Subject"])))
    assert subject == "SPC 报警 SPC alarm: Shaft diameter"
    notes = (await client.get(f"{API}/notifications", headers=manager)).json()
    assert [n["kind"] for n in notes] == ["inspection_alarm"]
    assert notes[0]["data"]["alarm_id"] == alarm["id"]
    assert notes[0]["data"]["characteristic_id"] == cid
    # Chinese first, English beside it, as every notice.
    chinese, english = notes[0]["body"].split("\n")
    assert "超出规格限" in chinese
    assert "25.05" in chinese
    assert "outside the specification" in english
    assert "25.05" in english
    assert await dispatch_pending(app.state.sessionmaker, settings, SmtpSender(settings)) == 0
    assert len(smtp_inbox.messages) == 1
