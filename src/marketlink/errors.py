"""The exception tree. User mistakes are not exceptions: they are ``UserError`` values
(``marketlink.domain.errors``) returned in mutation payloads.

    MarketLinkError
      SettingsError          a MARKETLINK_* variable is missing or wrong (process exits)
      AuthenticationError    no valid credentials on a request that needs them
      QueryInputError        a query argument out of range (top-level GraphQL error)
"""


class MarketLinkError(Exception):
    """Base of every exception MarketLink raises on purpose."""


class SettingsError(MarketLinkError):
    """A setting is invalid; the message starts with the variable's name."""


class AuthenticationError(MarketLinkError):
    """The caller presented no credentials, or credentials that are unknown or revoked."""


class QueryInputError(MarketLinkError):
    """A query argument is out of its allowed range (for example ``first`` above the page limit)."""
