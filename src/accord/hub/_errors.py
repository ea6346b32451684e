"""Hub errors, each with the HTTP status it maps to."""

from .._util import AccordError


class HubError(AccordError):
    """A request the hub refuses; `status` is its HTTP status code."""

    status = 400
    exit_code = 2


class BadRequest(HubError):
    """Malformed or invalid input."""

    status = 400


class Unauthenticated(HubError):
    """No valid token."""

    status = 401


class Forbidden(HubError):
    """Authenticated but not allowed."""

    status = 403


class NotFound(HubError):
    """No such resource (or not visible to the caller)."""

    status = 404


class Conflict(HubError):
    """The resource's state does not allow the request."""

    status = 409


class Rejected(HubError):
    """A submission that failed a check; nothing of it was stored."""

    status = 422


class PayloadTooLarge(HubError):
    """A request body over its size limit."""

    status = 413


class UnsupportedMedia(HubError):
    """A request body of a content type the route does not take."""

    status = 415


class TooManyRequests(HubError):
    """Too many failed attempts from one client; retry later."""

    status = 429


def http_status(error: AccordError) -> int:
    """The HTTP status of an error raised below the hub's routes.

    A `HubError` carries its own; bad input (exit code 2) is 400; an operation the hub could not
    carry out here (exit code 1, e.g. PDF printing without Chromium on the host) is 503, so a
    500 always means a bug.
    """
    if isinstance(error, HubError):
        return error.status
    return 400 if error.exit_code == 2 else 503
