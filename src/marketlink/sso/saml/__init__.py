"""MarketLink as SAML 2.0 identity provider (SPEC §5, docs/adr/0013): ``keys`` makes and keeps
each IdP's signing key and certificate, ``authn_requests`` decodes and checks what service
providers send, ``responses`` builds the Response and its Assertion, ``signing`` signs them
(signxml), ``metadata`` describes an IdP, ``endpoints`` are the routes."""
