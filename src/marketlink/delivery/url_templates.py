"""The URLs of the notification exchange (SPEC §3 step 2).

* :func:`event_url` is where the host fetches an event: ``<baseUrl>/api/integration/v1/events/<token>``.
  It never carries a query string or fragment, because vendors verify signatures over the URL they
  receive.
* :func:`notification_url` fills a vendor's configured URL template. ``{eventUrl}`` and its older
  name ``{url}`` become the event URL percent-encoded as one query value (``quote(..., safe='')``),
  ``{token}`` becomes the event token (percent-encoded the same way, which leaves our URL-safe
  tokens unchanged). A template with none of the three gets ``eventUrl=<encoded event URL>``
  appended to its query, before any fragment. Other ``{...}`` text is left alone (configured URLs
  are checked elsewhere, see ``domain/urls.py``).

Both functions are pure.
"""

import re
from urllib.parse import quote

EVENTS_PATH = "/api/integration/v1/events/"
_PLACEHOLDER = re.compile(r"\{(eventUrl|url|token)\}")


def event_url(base_url: str, token: str) -> str:
    """``<base_url>/api/integration/v1/events/<token>``; one trailing ``/`` of the base is dropped.

    Raises ValueError for an empty token or a base URL with a query string or fragment.
    """
    if not token:
        raise ValueError("the event token must not be empty")
    if "?" in base_url or "#" in base_url:
        raise ValueError("the base URL must not carry a query string or fragment")
    return base_url.removesuffix("/") + EVENTS_PATH + quote(token, safe="")


def notification_url(template: str, event_url: str, token: str) -> str:
    """The URL to GET for one event: ``template`` with its placeholders filled in.

    All placeholders are replaced in one pass, so values are never themselves substituted.
    """
    encoded_event_url = quote(event_url, safe="")
    values = {"eventUrl": encoded_event_url, "url": encoded_event_url,
              "token": quote(token, safe="")}
    if _PLACEHOLDER.search(template):
        return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)
    return _with_query_parameter(template, "eventUrl", encoded_event_url)


def _with_query_parameter(url: str, name: str, encoded_value: str) -> str:
    """``url`` with ``name=encoded_value`` added last to its query, keeping any fragment last."""
    base, hash_sign, fragment = url.partition("#")
    if "?" not in base:
        separator = "?"
    else:
        separator = "" if base.endswith(("?", "&")) else "&"
    return f"{base}{separator}{name}={encoded_value}{hash_sign}{fragment}"
