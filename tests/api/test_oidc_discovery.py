"""``GET /.well-known/openid-configuration``: the provider's metadata, checked by Authlib's
validator of OpenID Connect Discovery 1.0."""

from authlib.oidc.discovery import OpenIDProviderMetadata

BASE = "http://127.0.0.1:8000"  # the test settings' base URL (the issuer)


async def test_discovery_names_the_issuer_endpoints_and_what_is_supported(world):
    response = await world.api.client.get("/.well-known/openid-configuration")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.json() == {
        "issuer": BASE,
        "authorization_endpoint": f"{BASE}/oauth2/authorize",
        "token_endpoint": f"{BASE}/oauth2/token",
        "userinfo_endpoint": f"{BASE}/oauth2/userinfo",
        "jwks_uri": f"{BASE}/oauth2/certs",
        "scopes_supported": ["openid", "profile", "email", "roles"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
                             "name", "given_name", "family_name", "locale", "email",
                             "email_verified", "company_id", "company_name", "roles", "sid"],
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }


async def test_discovery_is_valid_provider_metadata(world):
    document = (await world.api.client.get("/.well-known/openid-configuration")).json()

    OpenIDProviderMetadata(document).validate()  # raises on any invalid or missing value


async def test_the_issuer_is_the_configured_base_url(db):
    from tests.helpers import make_world

    world, client = await make_world(db, base_url="https://market.example/")
    async with client:
        document = (await client.get("/.well-known/openid-configuration")).json()

    assert (document["issuer"], document["jwks_uri"]) == (
        "https://market.example", "https://market.example/oauth2/certs")
