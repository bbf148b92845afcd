"""Domain exceptions and the one table that maps them to HTTP status codes."""
from __future__ import annotations

from flask import Flask, jsonify, request
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException


class GisappError(Exception):
    """Base for errors that reach the client as JSON."""

    code = "error"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class BadInput(GisappError):
    code = "bad_input"


class NotFound(GisappError):
    code = "not_found"


class OutsideAllAreas(GisappError):
    code = "outside_all_areas"


class Unauthenticated(GisappError):
    code = "unauthenticated"


class Forbidden(GisappError):
    code = "forbidden"


class RateLimited(GisappError):
    code = "rate_limited"


class Conflict(GisappError):
    code = "conflict"


class TooLarge(GisappError):
    code = "too_large"


class Unavailable(GisappError):
    code = "unavailable"


class StorageFull(GisappError):
    code = "storage_unavailable"


STATUS: dict[type[GisappError], int] = {
    BadInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    OutsideAllAreas: 404,
    Conflict: 409,
    TooLarge: 413,
    RateLimited: 429,
    Unavailable: 503,
    StorageFull: 507,
}


HTTP_ZH = {404: "未找到", 405: "不支持该请求方法", 413: "上传内容过大"}


def error_body(error: str, message: str, /, **details) -> dict:
    return {"error": error, "message": message, **details}


def register(app: Flask) -> None:
    """Install handlers so every error, expected or not, answers in JSON."""

    @app.before_request
    def _refuse_nul():
        # PostgreSQL text cannot hold NUL; refuse it at the door rather than deep in a driver.
        environ = request.environ
        if _has_nul(environ.get("QUERY_STRING", "")) or "\x00" in environ.get("PATH_INFO", ""):
            return jsonify(error_body("bad_input", "参数不能包含 NUL 字符 (NUL in request)")), 400
        if environ.get("CONTENT_TYPE", "").lower().startswith(("application/x-www-form-urlencoded",
                                                       "multipart/form-data")) \
                and any("\x00" in k or "\x00" in v for k, v in request.form.items(multi=True)):
            return jsonify(error_body("bad_input", "表单不能包含 NUL 字符 (NUL in form)")), 400
        return None

    @app.errorhandler(GisappError)
    def _domain(exc: GisappError):
        status = STATUS.get(type(exc), 400)
        resp = jsonify(error_body(exc.code, exc.message, **exc.details))
        if isinstance(exc, RateLimited):
            resp.headers["Retry-After"] = str(exc.details.get("retry_after", 60))
        return resp, status

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        if exc.code in HTTP_ZH:         # a phone's outbox shows the reason to its user
            message = f"{HTTP_ZH[exc.code]} ({message})"
        return jsonify(error_body(code, message)), exc.code

    @app.errorhandler(OperationalError)
    def _db_down(exc: OperationalError):
        app.logger.warning("database unavailable: %s", exc.orig)
        return _unavailable()

    @app.errorhandler(PoolTimeout)
    def _pool_exhausted(exc: PoolTimeout):
        # Every pooled connection stayed busy for pool_timeout: overload, not a fault.
        app.logger.warning("database pool exhausted: %s", exc)
        resp = jsonify(
            error_body("server_busy", "服务器繁忙，请稍后重试 (server busy, retry shortly)")
        )
        resp.headers["Retry-After"] = "2"
        return resp, 503

    @app.errorhandler(ValueError)
    def _driver_value(exc: ValueError):
        # psycopg2 refuses a string with NUL before it reaches the server (e.g. inside JSON).
        if "NUL" in str(exc):
            return jsonify(error_body("bad_input", "参数不能包含 NUL 字符 (NUL in request)")), 400
        app.logger.exception("unexpected value error")
        return jsonify(error_body("internal", "服务器内部错误")), 500

    @app.errorhandler(DBAPIError)
    def _db_error(exc: DBAPIError):
        # Constraint violations that validation did not catch are still the client's input.
        pgcode = getattr(exc.orig, "pgcode", None) or ""
        if pgcode in SWITCHING_PRIMARY or pgcode.startswith("08"):
            # A write reached a node that was just demoted, or one shutting down.
            app.logger.warning("database switching primary: %s", exc.orig)
            return _unavailable()
        if pgcode.startswith("23") or pgcode.startswith("22"):
            return jsonify(error_body("rejected_by_database", str(exc.orig).splitlines()[0])), 400
        app.logger.exception("database error")
        return jsonify(error_body("internal", "服务器内部错误")), 500


# SQLSTATEs seen while the primary changes: read_only_sql_transaction (a write on a
# node demoted a moment ago), admin_shutdown, crash_shutdown, cannot_connect_now.
SWITCHING_PRIMARY = {"25006", "57P01", "57P02", "57P03"}


def _unavailable():
    resp = jsonify(error_body("database_unavailable", "数据库暂时不可用，请稍后重试"))
    resp.headers["Retry-After"] = "5"
    return resp, 503


def _has_nul(raw: str) -> bool:
    return "%00" in raw or "\x00" in raw
