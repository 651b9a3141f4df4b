"""The web pages of MarketLink: login and logout for marketplace users, and the pages behind
them (docs/adr/0011). :mod:`marketlink.web.auth` has what later pages need: ``current_user``,
``login_required`` and the CSRF check of signed-in forms."""
