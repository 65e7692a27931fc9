"""GitHub's error bodies: ``message``, ``documentation_url``, ``status``, ``errors`` on 422."""

from __future__ import annotations

from typing import Any

DOCS = "https://docs.github.com/rest"


class ApiError(Exception):
    """An error answered the way GitHub answers it."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[Any] | None = None,
        documentation_url: str = DOCS,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.documentation_url = documentation_url
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body GitHub sends with this error."""
        out: dict[str, Any] = {
            "message": self.message,
            "documentation_url": self.documentation_url,
            "status": str(self.status),
        }
        if self.errors is not None:
            out["errors"] = self.errors
        return out


def not_found() -> ApiError:
    """404: missing, or not visible to the caller (GitHub does not say which)."""
    return ApiError(404, "Not Found")


def bad_credentials() -> ApiError:
    """401 for a token GitHub does not know or that expired."""
    return ApiError(401, "Bad credentials")


def requires_auth() -> ApiError:
    """401 for an anonymous call to an endpoint that needs a token."""
    return ApiError(401, "Requires authentication")


def forbidden(message: str = "Resource not accessible by integration") -> ApiError:
    """403: visible, but the caller may not do this."""
    return ApiError(403, message)


def validation_failed(
    resource: str, field: str, code: str = "invalid", message: str | None = None
) -> ApiError:
    """422 "Validation Failed" with one entry in ``errors``."""
    error: dict[str, Any] = {"resource": resource, "field": field, "code": code}
    if message:
        error["message"] = message
    return ApiError(422, "Validation Failed", errors=[error])


def missing_field(resource: str, field: str) -> ApiError:
    """422 for a required field the request left out."""
    return validation_failed(resource, field, "missing_field")


def conflict(message: str) -> ApiError:
    """409, e.g. a git repository that is empty."""
    return ApiError(409, message)
