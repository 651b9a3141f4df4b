"""Where a login may send the browser next: only a path on this site (no open redirect)."""

from urllib.parse import urlsplit

MAX_NEXT_LENGTH = 2048
HOME = "/"


def safe_next(value: str | None) -> str:
    """``value`` if it is a relative path on this site, else ``/``. Refused: absolute URLs,
    scheme-relative ``//host``, backslashes (browsers read ``/\\host`` as ``//host``),
    control characters (header injection; browsers drop tabs and newlines from URLs)."""
    if not value or len(value) > MAX_NEXT_LENGTH or not value.startswith("/"):
        return HOME
    if value.startswith("//") or "\\" in value or any(ord(c) < 0x20 or c == "\x7f" for c in value):
        return HOME
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else HOME
