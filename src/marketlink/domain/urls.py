"""Pure checks for the URLs vendors configure."""

import re
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
# Placeholders an event URL may carry (SPEC §3): the URL-encoded event URL under its current
# and its older name, and the bare event token.
EVENT_URL_PLACEHOLDERS = frozenset({"eventUrl", "url", "token"})
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_WHITESPACE = re.compile(r"\s")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def url_problem(value: str) -> str | None:
    """Why ``value`` is not an absolute http(s) URL, or None when it is one."""
    if len(value) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    if _WHITESPACE.search(value):
        return "must not contain whitespace"
    if _CONTROL.search(value):
        return "must not contain control characters"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "must be an absolute http(s) URL"
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "must be an absolute http(s) URL"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password; use outboundCredentials"
    return None


def event_url_problem(value: str) -> str | None:
    """Like :func:`url_problem`, and every ``{placeholder}`` must be one we fill in."""
    unknown = sorted(set(_PLACEHOLDER.findall(value)) - EVENT_URL_PLACEHOLDERS)
    if unknown:
        return "unknown placeholder {" + unknown[0] + "}; use {eventUrl}, {url} or {token}"
    return url_problem(_PLACEHOLDER.sub("x", value))


def template_url_problem(value: str) -> str | None:
    """SSO URLs may carry placeholders such as ``{company.uuid}``; check the URL around them."""
    return url_problem(_PLACEHOLDER.sub("x", value))
