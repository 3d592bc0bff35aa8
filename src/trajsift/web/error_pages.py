"""Every error as a readable page (HTML routes) or a JSON `{"error": ...}` body (/api/ routes).

Validation failures (a 20-digit id, a form-encoded body where JSON is expected) answer 4xx with the
reason; an unexpected exception answers a short page or JSON without a traceback.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

LOG = logging.getLogger("trajsift.web")
TITLES = {400: "Bad request", 401: "Login required", 403: "Forbidden", 404: "Not found", 409: "Conflict"}


def error_response(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"error": message, "status": status}, status_code=status)
    title = TITLES.get(status, "Error" if status >= 500 else "Request refused")
    render = getattr(request.app.state, "render", None)
    if render is None:
        return Response(f"{title}: {message}", status_code=status, media_type="text/plain")
    return render(request, "error.html", status_code=status, status=status, title=title, message=message)


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for problem in error.errors()[:5]:
        where = ".".join(str(p) for p in problem.get("loc", ()) if p not in ("path", "query", "body"))
        parts.append(f"{where or 'request'}: {problem.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = error_response(request, exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 422, _validation_message(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        LOG.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "internal error (logged on the server)")
