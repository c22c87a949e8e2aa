"""Errors rendered as RFC 9457 problem details (``application/problem+json``).

Hierarchy::

    AppError                    500  base; anything a service raises on purpose
    ├── ValidationFailed        422  input is well-formed but not acceptable (names the field)
    ├── Unauthorized            401  no or bad credentials
    ├── Forbidden               403  authenticated, but the role may not do this
    ├── NotFound                404  absent, or belongs to another tenant (never reveal which)
    ├── Conflict                409  clashes with existing data (duplicate key, ...)
    └── ServiceUnavailable      503  a dependency (database, broker) is down

Routers never build error JSON by hand: services raise, one handler renders.

The OpenAPI document says the same: :func:`install_error_handlers` also rewrites the generated
schema so every error response is ``application/problem+json`` with the ``Problem`` schema
(FastAPI's own ``HTTPValidationError`` is gone: the server never sends it), and documents the
statuses the handlers give (see :func:`document_problems`). Routes add others with
``responses=problem_responses(503)``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.core.logging import REQUEST_ID_HEADER, current_request_id

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "AppError",
    "Conflict",
    "FieldError",
    "Forbidden",
    "NotFound",
    "ServiceUnavailable",
    "Unauthorized",
    "ValidationFailed",
    "content_responses",
    "document_problems",
    "install_error_handlers",
    "problem_body",
    "problem_response",
    "problem_responses",
]

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "/problems/"

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class AppError(Exception):
    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal server error"
    # The stable ``code`` extension member every instance carries unless given another.
    code: ClassVar[str | None] = None

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})
        if self.code is not None:
            self.extensions.setdefault("code", self.code)

    def as_problem(self) -> dict[str, Any]:
        """The problem details the error handler sends for this error, without ``instance``
        (for a response that reports the problem a request would get, not one it got)."""
        return problem_body(
            status=self.status,
            title=self.title,
            detail=self.detail,
            type_=PROBLEM_TYPE_BASE + self.slug,
            errors=self.errors,
            extensions=self.extensions,
        )


class ValidationFailed(AppError):
    status = 422
    slug = "validation-failed"
    title = "Validation failed"

    @classmethod
    def for_field(cls, field: str, message: str, *, code: str | None = None) -> ValidationFailed:
        return cls(
            f"{field}: {message}",
            errors=[FieldError(field, message)],
            extensions={"code": code} if code else None,
        )


class Unauthorized(AppError):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"

    def __init__(self, detail: str = "Missing or invalid credentials") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(AppError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class ServiceUnavailable(AppError):
    status = 503
    slug = "service-unavailable"
    title = "Service unavailable"


def problem_body(
    *,
    status: int,
    title: str,
    detail: str,
    type_: str = "about:blank",
    instance: str | None = None,
    errors: Sequence[FieldError] = (),
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The problem details object; extension members never replace the standard ones."""
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail}
    if instance is not None:
        body["instance"] = instance
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    for key, value in (extensions or {}).items():
        body.setdefault(key, value)
    return body


def problem_response(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    type_: str = "about:blank",
    errors: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body = problem_body(
        status=status,
        title=title,
        detail=detail,
        type_=type_,
        instance=request.url.path,
        errors=errors,
        extensions=extensions,
    )
    out_headers = dict(headers or {})
    request_id = current_request_id() or getattr(request.state, "request_id", None)
    if request_id:
        out_headers.setdefault(REQUEST_ID_HEADER, request_id)
    return JSONResponse(
        body, status_code=status, headers=out_headers, media_type=PROBLEM_CONTENT_TYPE
    )


def _field_path(loc: Sequence[int | str]) -> str:
    # "body" is where FastAPI found the value, not part of the field's name the client sent.
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    return ".".join(str(p) for p in parts) or "body"


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    if exc.status >= 500:
        # A dependency being down is reported on every probe: a warning, not an error each time.
        level = logging.WARNING if isinstance(exc, ServiceUnavailable) else logging.ERROR
        logger.log(level, "%s: %s", exc.title, exc.detail)
    return problem_response(
        request,
        status=exc.status,
        title=exc.title,
        detail=exc.detail,
        type_=PROBLEM_TYPE_BASE + exc.slug,
        errors=exc.errors,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(_field_path(e.get("loc", ())), str(e.get("msg", ""))) for e in exc.errors()
    ]
    fields = ", ".join(dict.fromkeys(e.field for e in errors))
    return problem_response(
        request,
        status=422,
        title=ValidationFailed.title,
        detail=f"Invalid request: check {fields}" if fields else "Invalid request",
        type_=PROBLEM_TYPE_BASE + ValidationFailed.slug,
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    try:
        title = HTTPStatus(exc.status_code).phrase
    except ValueError:
        title = "Error"
    detail = exc.detail if isinstance(exc.detail, str) else title
    return problem_response(
        request,
        status=exc.status_code,
        title=title,
        detail=detail,
        headers=exc.headers,
    )


async def _database_data_error(request: Request, exc: Exception) -> JSONResponse:
    # SQLSTATE class 22 (data exception: numeric out of range, NUL in text, invalid datetime...)
    # is bad input the API's own validation missed. The safety net answers 422 without naming a
    # field; the fuzz test fails on it, so every such hole gets validated at the edge.
    assert isinstance(exc, DBAPIError)
    if not isinstance(exc.orig, psycopg.errors.DataError):
        return await _unhandled_error(request, exc)
    logger.warning(
        "the database refused a value the API let through on %s %s: %s",
        request.method,
        request.url.path,
        str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__,
    )
    return problem_response(
        request,
        status=422,
        title=ValidationFailed.title,
        detail="A value is out of the range the server can store",
        type_=PROBLEM_TYPE_BASE + "invalid-value",
    )


async def _unhandled_error(request: Request, exc: Exception) -> JSONResponse:
    # The stack trace goes to the log (with the request id), never to the client.
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        request,
        status=500,
        title=AppError.title,
        detail="The server failed to handle this request; it has been logged.",
        type_=PROBLEM_TYPE_BASE + AppError.slug,
    )


_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_PROBLEM_CONTENT = {PROBLEM_CONTENT_TYPE: {"schema": _PROBLEM_REF}}
PROBLEM_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "title": "Problem",
        "description": "RFC 9457 problem details; extension members may follow.",
        "type": "object",
        "properties": {
            "type": {"type": "string", "description": "/problems/<slug> or about:blank"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string", "description": "the request's path"},
            "errors": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ProblemFieldError"},
                "description": "422 only: each offending field (body path, query.<name>, "
                "path.<name>)",
            },
        },
        "required": ["type", "title", "status", "detail", "instance"],
        "additionalProperties": True,
    },
    "ProblemFieldError": {
        "title": "ProblemFieldError",
        "type": "object",
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
        "required": ["field", "message"],
    },
}
_DESCRIPTIONS = {
    400: "The body could not be parsed (not valid JSON or form data)",
    401: "Not logged in, or the token is invalid or expired",
    403: "Logged in, but this role may not do this",
    404: "Not found, or not visible to this user",
    409: "Conflicts with the current state of the data",
    422: "A parameter or body field is not acceptable (each is named in `errors`)",
    429: "Too many requests",
    503: "A dependency (database, broker, live hub) is not available",
}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for statuses a route gives beyond the documented defaults."""
    return {
        status: {
            "description": _DESCRIPTIONS.get(status, HTTPStatus(status).phrase),
            "content": _PROBLEM_CONTENT,
        }
        for status in statuses
    }


def content_responses(*media_types: str, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route whose success body is not JSON (use with
    ``response_class=Response`` so JSON is not documented as well)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": dict.fromkeys(media_types, binary),
        }
    }


def document_problems(spec: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI document match what the error handlers send.

    Every operation under ``/api/`` may answer 404 (an id it was given is unknown or hidden) and,
    with parameters or a body, 422; with a body, 400 when it cannot be parsed at all. Operations behind the bearer token also answer 401 and 403,
    and the ones that change data 409; the token endpoint answers 401. Error responses already documented without content (or
    with FastAPI's validation schema) get the problem schema.
    """
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.update(PROBLEM_SCHEMAS)
    # The log-in endpoint of the OAuth2 password flow answers 401 to wrong credentials.
    token_urls = {
        flow.get("tokenUrl")
        for scheme in spec["components"].get("securitySchemes", {}).values()
        for flow in scheme.get("flows", {}).values()
    }
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            wanted: set[int] = set()
            if operation.get("parameters") or operation.get("requestBody"):
                wanted.add(422)
            if operation.get("requestBody"):
                wanted.add(400)
            if path.startswith("/api/"):
                wanted.add(404)
            if path in token_urls:
                wanted.add(401)
            if operation.get("security"):
                wanted |= {401, 403}
                if method != "get":
                    wanted.add(409)
            for status in wanted:
                responses.setdefault(str(status), {"description": _DESCRIPTIONS[status]})
            for code, response in responses.items():
                if not code.isdigit() or int(code) < 400:
                    continue
                content = response.get("content") or {}
                if not content or "application/json" in content:
                    response["content"] = _PROBLEM_CONTENT
                    if int(code) == 422:
                        response["description"] = _DESCRIPTIONS[422]
    return spec


def install_error_handlers(app: FastAPI) -> None:
    """Problem details for every error, and an OpenAPI document that says so."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_data_error)
    app.add_exception_handler(Exception, _unhandled_error)

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
