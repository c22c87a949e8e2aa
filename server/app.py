"""The FastAPI application: ``create_app(settings)``."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from starlette.types import ASGIApp

from server.auth.router import router as auth_router
from server.billing.router import router as billing_router
from server.booking.calendar_router import router as calendar_router
from server.booking.jobs import flag_unusable_instruments
from server.booking.notes_router import router as notes_router
from server.booking.ratings_router import router as ratings_router
from server.booking.router import router as booking_router
from server.calibration.hooks import on_instrument_unusable
from server.calibration.router import router as calibration_router
from server.catalog.router import router as catalog_router
from server.complaints.router import router as complaints_router
from server.core.config import Settings, get_settings
from server.core.db import create_engine, create_sessionmaker, timescaledb_available
from server.core.errors import install_error_handlers
from server.core.headers import SecurityHeadersMiddleware
from server.core.health import router as health_router
from server.core.logging import RequestIdMiddleware
from server.core.read_replica import ReadRouter
from server.core.validators import reject_nul_in_parameters
from server.core.web import mount_web_app
from server.credit.router import router as credit_router
from server.evaluation.router import router as evaluation_router
from server.gateways.operations_router import router as gateway_operations_router
from server.gateways.router import router as gateways_router
from server.inspection.router import router as inspection_router
from server.jobs import BackgroundJobs, JobSettings, Leadership
from server.notifications.router import router as notifications_router
from server.proficiency.router import router as proficiency_router
from server.public.router import router as public_pages_router
from server.readmodels.catalogue_search_router import router as catalogue_search_router
from server.readmodels.public_instrument_router import router as public_instrument_router
from server.registration.router import router as registration_router
from server.registry.router import public_router as registry_public_router
from server.registry.router import router as registry_router
from server.telemetry.config import TelemetrySettings
from server.telemetry.jobs import JobIntervals, TelemetryJobs
from server.telemetry.live import LiveHub
from server.telemetry.router import router as telemetry_router
from server.telemetry.worker import IngestWorker

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
logger = logging.getLogger(__name__)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = app.state.engine
    try:
        async with engine.connect() as conn:
            app.state.timescaledb = await timescaledb_available(conn)
        logger.info("database reachable", extra={"timescaledb": app.state.timescaledb})
    except Exception as exc:  # start anyway: /readyz reports the database until it is back
        app.state.timescaledb = False
        logger.error("database unreachable at start-up: %s", str(exc).splitlines()[0])

    worker = IngestWorker(settings) if settings.ingest_enabled else None
    app.state.ingest_worker = worker  # /readyz asks it whether it is consuming
    if worker is not None:
        await worker.start()
        logger.info("ingest worker started")
    # Booking jobs and the notification outbox run in-process (no cron); tests may preset
    # app.state.job_settings before the lifespan starts.
    job_settings: JobSettings = getattr(app.state, "job_settings", None) or JobSettings()
    jobs = (
        BackgroundJobs(app.state.sessionmaker, job_settings) if job_settings.jobs_enabled else None
    )
    # Live streams and telemetry upkeep; tests may preset app.state.telemetry_settings.
    telemetry: TelemetrySettings = (
        getattr(app.state, "telemetry_settings", None) or TelemetrySettings()
    )
    hub = (
        LiveHub(
            settings.mqtt_host,
            settings.mqtt_port,
            username=settings.mqtt_username,
            password=settings.mqtt_password,
        )
        if telemetry.live_enabled
        else None
    )
    app.state.live_hub = hub
    if hub is not None:
        await hub.start()
    if jobs is not None:
        jobs.publisher = hub  # calibration sets go to the gateways over this connection
    telemetry_jobs = (
        TelemetryJobs(
            engine,
            timescaledb=app.state.timescaledb,
            hub=hub,
            intervals=JobIntervals(
                telemetry.state_interval_s,
                telemetry.rollup_interval_s,
                telemetry.retention_interval_s,
            ),
        )
        if telemetry.jobs_enabled
        else None
    )
    # Several processes may serve the API: the scheduled work runs in the leader only
    # (docs/architecture.md, "Several server processes").
    leadership = (
        Leadership(
            settings.database_url,
            poll_s=job_settings.jobs_leader_poll_s,
            on_elected=[
                *([telemetry_jobs.start] if telemetry_jobs is not None else []),
                *([jobs.nudge] if jobs is not None else []),
            ],
            on_deposed=[telemetry_jobs.stop] if telemetry_jobs is not None else [],
        )
        if jobs is not None or telemetry_jobs is not None
        else None
    )
    app.state.leadership = leadership
    if leadership is not None:
        await leadership.start()
    if jobs is not None:
        jobs.leadership = leadership
        await jobs.start()
    try:
        yield
    finally:
        if jobs is not None:
            await jobs.stop()
        if leadership is not None:
            await leadership.stop()
        if hub is not None:
            await hub.stop()
        if worker is not None:
            await worker.stop()
            logger.info("ingest worker stopped")
        await app.state.read_router.dispose()
        await engine.dispose()


class _LabshareApp(FastAPI):
    """FastAPI with the security headers outermost, so even a 500 from an unhandled error
    (rendered by Starlette's outermost error middleware) carries them."""

    def build_middleware_stack(self) -> ASGIApp:
        docs_paths = [self.docs_url, self.redoc_url, self.swagger_ui_oauth2_redirect_url]
        return SecurityHeadersMiddleware(
            super().build_middleware_stack(), docs_paths=[p for p in docs_paths if p]
        )


@functools.cache
def _api_router() -> APIRouter:
    """Every API route under /api/v1, assembled once per process: FastAPI copies each route when
    a router is included, and routes keep no per-app state, so each app includes this one."""
    # A NUL in any parameter or body text is a 422 before an endpoint sees it.
    api = APIRouter(prefix=API_PREFIX, dependencies=[Depends(reject_nul_in_parameters)])
    api.include_router(auth_router)
    api.include_router(registration_router)
    api.include_router(catalog_router)
    # Before the registry's /gateways/{id}: /gateways/health must not parse as an id.
    api.include_router(gateway_operations_router)
    api.include_router(gateways_router)
    api.include_router(calibration_router)
    api.include_router(registry_router)
    api.include_router(registry_public_router)
    api.include_router(catalogue_search_router)
    api.include_router(public_instrument_router)
    api.include_router(booking_router)
    api.include_router(ratings_router)
    api.include_router(notes_router)
    api.include_router(billing_router)
    api.include_router(notifications_router)
    api.include_router(calendar_router)
    api.include_router(telemetry_router)
    api.include_router(inspection_router)
    api.include_router(evaluation_router)
    api.include_router(proficiency_router)
    api.include_router(complaints_router)
    api.include_router(credit_router)
    return api


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API app; the engine is created here, connections on first use."""
    settings = settings or get_settings()
    app = _LabshareApp(
        title="labshare",
        summary="Shared lab instruments with live telemetry, calibration and bookings",
        version="0.1.0",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = create_engine(settings)
    app.state.sessionmaker = create_sessionmaker(app.state.engine)
    # Stale-tolerant reads (charts, exports, catalogue, evaluation) on a replica when one is set.
    app.state.read_router = ReadRouter.from_settings(settings, app.state.engine)
    # Until the lifespan has checked: "not known to be there" is the safe answer.
    app.state.timescaledb = False

    # Booking sits above calibration: it is told when an instrument goes out of service.
    on_instrument_unusable(flag_unusable_instruments)
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)

    app.include_router(_api_router())
    app.include_router(health_router)
    # Server-rendered public information pages (no JavaScript needed), before the web app.
    app.include_router(public_pages_router)
    # Last: the web app's catch-all must not shadow any API route.
    mount_web_app(app, settings.web_dist)
    return app
