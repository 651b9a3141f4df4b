"""SSO configuration rules (SPEC §2, §5): what is refused on save (user errors) and what is only
listed as a validation error (URLs and placeholders that would fail at login time)."""

from marketlink.domain.errors import Code, UserError
from marketlink.domain.models import SsoConfiguration
from marketlink.domain.sso import BOOKMARK, OPENID_CONNECT, SAML, Problem, checked_configuration, validation_errors

PATH = ("input",)
SAML_DEFAULTS = {
    "version": "2.0", "idpConfigurationCreationMethod": "PER_SUBSCRIPTION",
    "serviceProviderEntityId": None, "assertionConsumerServiceUrl": None,
    "serviceProviderInitiatedLoginUrl": None, "nameId": "{user.email}", "nameIdFormat": "EMAIL",
    "responseSignatureMode": "ASSERTION", "responseSignatureAlgorithm": "RSA_SHA256",
    "relayState": None, "responseField": "SAMLResponse", "encodeResponse": True,
    "assertionAttributes": [], "notBeforeMinutes": 5, "notAfterMinutes": 5,
}
SAML_REQUIRED = {"serviceProviderEntityId": "https://sp.example/metadata",
                 "assertionConsumerServiceUrl": "https://sp.example/acs"}
OIDC_SEED = {
    "clientCreationMethod": "PER_SUBSCRIPTION", "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
    "redirectUrls": ["YOUR_REDIRECT_URLS"], "allowOidcScope": True, "allowUserScopes": True,
    "allowRoleScopes": False, "initiateLoginUrl": "YOUR_INITIATE_LOGIN_URL", "logoutUrl": None,
}


def problem(*path: str, code: str, message: str) -> Problem:
    return Problem(("ssoConfiguration",) + path, code, message)


# --- checked_configuration: saving ---------------------------------------------------------

def test_bookmark_with_url_is_accepted():
    assert checked_configuration(BOOKMARK, {"url": "https://host.example/{company.uuid}"}, None, PATH) == (
        {"url": "https://host.example/{company.uuid}"}, [])


def test_bookmark_without_url_is_required():
    assert checked_configuration(BOOKMARK, {}, None, PATH) == (
        {"url": None}, [UserError(("input", "url"), Code.REQUIRED, "url is required.")])


def test_seed_open_id_connect_configuration_is_accepted_as_given():
    merged, errors = checked_configuration(OPENID_CONNECT, OIDC_SEED, None, PATH)

    assert (merged, errors) == (OIDC_SEED, [])


def test_open_id_connect_defaults_fill_what_is_not_given():
    merged, errors = checked_configuration(
        OPENID_CONNECT, {"clientCreationMethod": "PER_MARKETPLACE", "grantTypes": ["AUTHORIZATION_CODE"]},
        None, PATH)

    assert errors == []
    assert merged == {"clientCreationMethod": "PER_MARKETPLACE", "grantTypes": ["AUTHORIZATION_CODE"],
                      "redirectUrls": [], "allowOidcScope": True, "allowUserScopes": False,
                      "allowRoleScopes": False, "initiateLoginUrl": None, "logoutUrl": None}


def test_grant_types_are_deduplicated_in_order():
    merged, _ = checked_configuration(OPENID_CONNECT, OIDC_SEED | {
        "grantTypes": ["REFRESH_TOKEN", "AUTHORIZATION_CODE", "REFRESH_TOKEN"]}, None, PATH)

    assert merged["grantTypes"] == ["REFRESH_TOKEN", "AUTHORIZATION_CODE"]


def test_unknown_choice_and_missing_required_are_both_reported():
    _, errors = checked_configuration(OPENID_CONNECT, {"clientCreationMethod": "PER_USER"}, None, PATH)

    assert errors == [
        UserError(("input", "clientCreationMethod"), Code.INVALID,
                  "clientCreationMethod must be one of PER_SUBSCRIPTION, PER_MARKETPLACE, PER_ENVIRONMENT."),
        UserError(("input", "grantTypes"), Code.REQUIRED, "grantTypes is required."),
    ]


def test_grant_types_must_be_known_and_include_authorization_code():
    _, unknown = checked_configuration(OPENID_CONNECT, OIDC_SEED | {"grantTypes": ["IMPLICIT"]}, None, PATH)
    _, without = checked_configuration(OPENID_CONNECT, OIDC_SEED | {"grantTypes": ["REFRESH_TOKEN"]}, None, PATH)

    assert unknown == [UserError(("input", "grantTypes"), Code.INVALID,
                                 "grantTypes must be among AUTHORIZATION_CODE, REFRESH_TOKEN.")]
    assert without == [UserError(("input", "grantTypes"), Code.INVALID,
                                 "grantTypes must include AUTHORIZATION_CODE.")]


def test_more_than_twenty_redirect_urls_are_refused():
    _, errors = checked_configuration(OPENID_CONNECT, OIDC_SEED | {
        "redirectUrls": [f"https://host.example/{i}" for i in range(21)]}, None, PATH)

    assert errors == [UserError(("input", "redirectUrls"), Code.TOO_MANY, "redirectUrls takes at most 20 URLs.")]


def test_saml_defaults_fill_what_is_not_given():
    assert checked_configuration(SAML, SAML_REQUIRED, None, PATH) == (SAML_DEFAULTS | SAML_REQUIRED, [])


def test_saml_minutes_out_of_range_are_refused():
    _, errors = checked_configuration(SAML, SAML_REQUIRED | {"notBeforeMinutes": 1441, "notAfterMinutes": 0},
                                      None, PATH)

    assert errors == [
        UserError(("input", "notBeforeMinutes"), Code.INVALID, "notBeforeMinutes must be between 0 and 1440."),
        UserError(("input", "notAfterMinutes"), Code.INVALID, "notAfterMinutes must be between 1 and 1440."),
    ]


def test_saml_text_over_1024_characters_is_refused():
    _, errors = checked_configuration(SAML, SAML_REQUIRED | {"serviceProviderEntityId": "e" * 1025}, None, PATH)

    assert errors == [UserError(("input", "serviceProviderEntityId"), Code.TOO_LONG,
                                "serviceProviderEntityId must be at most 1024 characters.")]


def test_saml_attribute_names_are_trimmed_and_must_be_unique():
    attributes = [{"name": " email ", "value": "{user.email}"}, {"name": "email", "value": "x"}]

    _, errors = checked_configuration(SAML, SAML_REQUIRED | {"assertionAttributes": attributes}, None, PATH)

    assert errors == [UserError(("input", "assertionAttributes"), Code.DUPLICATE,
                                "assertionAttributes names must be unique.")]


def test_saml_attribute_names_are_stored_trimmed():
    attributes = [{"name": " email ", "value": "{user.email}"}]

    merged, _ = checked_configuration(SAML, SAML_REQUIRED | {"assertionAttributes": attributes}, None, PATH)

    assert merged["assertionAttributes"] == [{"name": "email", "value": "{user.email}"}]


def test_saml_attribute_without_a_name_is_refused():
    attributes = [{"name": "  ", "value": "x"}]

    _, errors = checked_configuration(SAML, SAML_REQUIRED | {"assertionAttributes": attributes}, None, PATH)

    assert errors == [UserError(("input", "assertionAttributes"), Code.INVALID,
                                "each of assertionAttributes needs a name and a value of at most 1024 characters.")]


def test_update_keeps_what_is_not_changed():
    current = SAML_DEFAULTS | SAML_REQUIRED | {"relayState": "home"}

    merged, errors = checked_configuration(SAML, {"nameIdFormat": "PERSISTENT"}, current, PATH)

    assert (merged, errors) == (current | {"nameIdFormat": "PERSISTENT"}, [])


def test_update_with_null_resets_a_field_and_a_required_one_is_refused():
    current = SAML_DEFAULTS | SAML_REQUIRED | {"relayState": "home", "notAfterMinutes": 30}

    merged, errors = checked_configuration(
        SAML, {"relayState": None, "notAfterMinutes": None, "assertionConsumerServiceUrl": None}, current, PATH)

    assert (merged["relayState"], merged["notAfterMinutes"]) == (None, 5)
    assert errors == [UserError(("input", "assertionConsumerServiceUrl"), Code.REQUIRED,
                                "assertionConsumerServiceUrl is required.")]


def test_fields_of_another_kind_are_ignored():
    merged, errors = checked_configuration(BOOKMARK, {"url": "https://host.example", "nameId": "x"}, None, PATH)

    assert (merged, errors) == ({"url": "https://host.example"}, [])


# --- validation_errors: what would fail at login time ----------------------------------------

def test_no_configuration_has_no_validation_errors():
    assert validation_errors(None) == []


def test_seed_open_id_connect_placeholders_are_listed():
    assert validation_errors(SsoConfiguration(OPENID_CONNECT, OIDC_SEED)) == [
        problem("redirectUrls", "0", code="INVALID_URL", message="redirectUrls must be an absolute http(s) URL."),
        problem("initiateLoginUrl", code="INVALID_URL",
                message="initiateLoginUrl must be an absolute http(s) URL."),
    ]


def test_open_id_connect_needs_a_redirect_url():
    fields = OIDC_SEED | {"redirectUrls": [], "initiateLoginUrl": "https://host.example/login"}

    assert validation_errors(SsoConfiguration(OPENID_CONNECT, fields)) == [
        problem("redirectUrls", code="REQUIRED",
                message="At least one redirect URL is needed for OpenID Connect logins."),
    ]


def test_valid_open_id_connect_configuration_has_no_validation_errors():
    fields = OIDC_SEED | {"redirectUrls": ["https://host.example/cb"],
                          "initiateLoginUrl": "https://{company.uuid}.host.example/login"}

    assert validation_errors(SsoConfiguration(OPENID_CONNECT, fields)) == []


def test_bookmark_unknown_placeholder_is_listed():
    sso = SsoConfiguration(BOOKMARK, {"url": "https://host.example/?p={user.password}"})

    assert validation_errors(sso) == [
        problem("url", code="UNKNOWN_PLACEHOLDER", message="Unknown placeholder {user.password}.")]


def test_bookmark_bad_url_with_unknown_placeholder_lists_both():
    sso = SsoConfiguration(BOOKMARK, {"url": "{tenant}/start"})

    assert validation_errors(sso) == [
        problem("url", code="UNKNOWN_PLACEHOLDER", message="Unknown placeholder {tenant}."),
        problem("url", code="INVALID_URL", message="url must be an absolute http(s) URL."),
    ]


def test_saml_text_and_attribute_placeholders_are_checked():
    fields = SAML_DEFAULTS | SAML_REQUIRED | {
        "nameId": "{user.mail}",
        "assertionAttributes": [{"name": "ok", "value": "{user.uuid}"}, {"name": "bad", "value": "{org.id}"}],
    }

    assert validation_errors(SsoConfiguration(SAML, fields)) == [
        problem("nameId", code="UNKNOWN_PLACEHOLDER", message="Unknown placeholder {user.mail}."),
        problem("assertionAttributes", "1", "value", code="UNKNOWN_PLACEHOLDER",
                message="Unknown placeholder {org.id}."),
    ]


def test_saml_defaults_with_real_urls_have_no_validation_errors():
    assert validation_errors(SsoConfiguration(SAML, SAML_DEFAULTS | SAML_REQUIRED)) == []
