"""MarketLink as OpenID Connect provider (SPEC §5, docs/adr/0012): Authlib's authorization
server and grants behind a thin Starlette adapter. ``keys`` signs, ``clients`` and ``codes``
and ``tokens`` are the models Authlib asks for, ``claims`` says what a scope reveals,
``preload`` loads what a request needs and applies what it wrote, ``provider`` is the
adapter, ``endpoints`` the routes."""
