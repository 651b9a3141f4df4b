"""The console's integration and SSO forms, translated to and from the domain's ``changes``."""

from marketlink.domain.errors import Code, UserError
from marketlink.domain.models import Credentials, IntegrationVersion, PingTest
from marketlink.web.console import sso_forms
from marketlink.web.console.integration_forms import (
    error_field,
    errors_by_field,
    form_problems,
    form_values,
    integration_changes,
)
from marketlink.web.console.integration_views import credential_rows, newest_test, ping_badge, utc_time

NO_URLS = {api: None for api in (
    "createUrl", "upgradeUrl", "cancelUrl", "notifyUrl", "eventStatusUrl", "assignUrl",
    "unassignUrl", "addonNotificationUrl", "userUpdatedUrl")}


def version(**overrides: object) -> IntegrationVersion:
    fields = dict(
        id="w1", integration_id="w1", vendor_id="v1", version="WORKING", revision=0, name="Acme",
        urls=NO_URLS | {"createUrl": "https://acme.example/create"},
        interactive={"createUrlInteractive": True, "upgradeUrlInteractive": False,
                     "cancelUrlInteractive": False},
        credentials=Credentials("BASIC", {"username": "acme"}, True), sso=None,
        created_on=0, last_modified=0)
    return IntegrationVersion(**(fields | overrides))  # type: ignore[arg-type]


def test_every_field_of_the_form_is_a_change_and_only_the_chosen_credentials_count() -> None:
    form = {"csrf_token": "t", "name": " Acme ", "createUrl": " https://acme.example/c ",
            "cancelUrl": "", "createUrlInteractive": "on", "deliveryMode": "DIRECT",
            "outboundCredentials.type": "OAUTH2", "outboundCredentials.clientId": "id",
            "outboundCredentials.tokenUri": "https://auth.example/t",
            "outboundCredentials.clientSecret": "", "outboundCredentials.username": "ignored",
            "vendorId": "v2"}

    assert integration_changes(form, creating=False) == {
        "name": " Acme ", **NO_URLS, "createUrl": "https://acme.example/c",
        "createUrlInteractive": True, "upgradeUrlInteractive": False, "cancelUrlInteractive": False,
        "deliveryMode": "DIRECT",
        "outboundCredentials": {"type": "OAUTH2", "clientId": "id",
                                "tokenUri": "https://auth.example/t", "scope": None},
    }
    assert integration_changes(form, creating=True)["vendorId"] == "v2"
    assert integration_changes({"outboundCredentials.type": "BASIC",
                                "outboundCredentials.password": "pw"}, creating=True)[
        "outboundCredentials"] == {"type": "BASIC", "username": None, "password": "pw"}


def test_no_credentials_type_removes_them_and_an_unknown_one_goes_to_the_domain() -> None:
    assert integration_changes({}, creating=True)["outboundCredentials"] is None
    assert integration_changes({"outboundCredentials.type": "KERBEROS"}, creating=True)[
        "outboundCredentials"] == {"type": "KERBEROS"}


def test_a_delivery_mode_outside_the_enum_is_refused_as_the_schema_would() -> None:
    assert form_problems({"deliveryMode": "DIRECT"}) == []
    assert form_problems({"deliveryMode": "PIGEON"}) == [UserError(
        ("input", "deliveryMode"), Code.INVALID, "deliveryMode must be NOTIFY_THEN_FETCH or DIRECT.")]


def test_the_edit_form_starts_from_the_version_without_its_secret() -> None:
    assert form_values(version()) == {
        "name": "Acme", "deliveryMode": "NOTIFY_THEN_FETCH", **{api: "" for api in NO_URLS},
        "createUrl": "https://acme.example/create", "createUrlInteractive": "on",
        "outboundCredentials.type": "BASIC", "outboundCredentials.username": "acme"}


def test_errors_go_to_the_field_their_path_names_and_the_rest_on_top() -> None:
    errors = [UserError(("input", "createUrl"), Code.INVALID_URL, "bad url"),
              UserError(("input", "outboundCredentials", "clientId"), Code.REQUIRED, "need id"),
              UserError(("input", "redirectUrls", "2"), Code.INVALID, "third"),
              UserError(("input", "id"), Code.NOT_FOUND, "Integration not found.")]

    assert [error_field(e.path) for e in errors] == [
        "createUrl", "outboundCredentials.clientId", "redirectUrls", "id"]
    assert errors_by_field(errors, ["createUrl", "outboundCredentials.clientId", "redirectUrls"]) == (
        {"createUrl": ["bad url"], "outboundCredentials.clientId": ["need id"],
         "redirectUrls": ["third"]},
        ["Integration not found."])


def test_an_openid_connect_form_reads_checkboxes_lines_and_blanks() -> None:
    form = {"clientCreationMethod": "PER_MARKETPLACE", "grantTypes.REFRESH_TOKEN": "on",
            "grantTypes.AUTHORIZATION_CODE": "on", "redirectUrls": " https://a/cb \r\n\r\nhttps://b/cb",
            "allowUserScopes": "on", "initiateLoginUrl": "  ", "logoutUrl": "https://a/out"}

    assert sso_forms.sso_changes("OPENID_CONNECT", form) == ({
        "clientCreationMethod": "PER_MARKETPLACE", "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
        "redirectUrls": ["https://a/cb", "https://b/cb"], "allowOidcScope": False,
        "allowUserScopes": True, "allowRoleScopes": False, "initiateLoginUrl": None,
        "logoutUrl": "https://a/out"}, [])


def test_a_saml_form_refuses_what_the_schema_would_and_reads_attributes() -> None:
    changes, problems = sso_forms.sso_changes("SAML", {
        "notBeforeMinutes": "five", "notAfterMinutes": " 10 ",
        "assertionAttributes": "email = {user.email}\nrole=a=b"})

    assert problems == [UserError(("input", "notBeforeMinutes"), Code.INVALID,
                                  "notBeforeMinutes must be a whole number.")]
    assert (changes["notAfterMinutes"], changes["assertionAttributes"], changes["encodeResponse"]) == (
        10, [{"name": "email", "value": "{user.email}"}, {"name": "role", "value": "a=b"}], False)
    assert sso_forms.sso_changes("SAML", {"assertionAttributes": "email"})[1] == [UserError(
        ("input", "assertionAttributes"), Code.INVALID,
        "Write each of assertionAttributes as name=value, one per line.")]


def test_a_stored_configuration_fills_its_form_and_reads_back_the_same() -> None:
    stored = {"clientCreationMethod": "PER_SUBSCRIPTION", "grantTypes": ["AUTHORIZATION_CODE"],
              "redirectUrls": ["https://a/cb", "https://b/cb"], "allowOidcScope": True,
              "allowUserScopes": False, "allowRoleScopes": True, "initiateLoginUrl": "https://a/",
              "logoutUrl": None}

    values = sso_forms.form_values("OPENID_CONNECT", stored)

    assert values == {"clientCreationMethod": "PER_SUBSCRIPTION", "grantTypes.AUTHORIZATION_CODE": "on",
                      "redirectUrls": "https://a/cb\nhttps://b/cb", "allowOidcScope": "on",
                      "allowRoleScopes": "on", "initiateLoginUrl": "https://a/", "logoutUrl": ""}
    assert sso_forms.sso_changes("OPENID_CONNECT", values) == (stored, [])
    assert sso_forms.form_values("SAML", None)["nameId"] == "{user.email}"


def test_a_configuration_is_shown_as_labelled_text() -> None:
    assert sso_forms.shown_rows("SAML", {"serviceProviderEntityId": "sp", "encodeResponse": True,
                                         "assertionAttributes": [{"name": "a", "value": "b"}]})[:3] == [
        ("SAML version", "(not set)"), ("Identity provider creation method", "(not set)"),
        ("Service provider entity ID", "sp")]
    assert sso_forms.shown_rows("BOOKMARK", {"url": "https://a/"}) == [("Bookmark URL", "https://a/")]


def test_credentials_show_the_secret_only_as_a_mask() -> None:
    assert credential_rows(version()) == [
        ("Type", "HTTP Basic"), ("User name", "acme"), ("Password", "********")]
    assert credential_rows(version(credentials=Credentials("BASIC", {"username": "a"}, False)))[-1] == (
        "Password", "not set")
    assert credential_rows(version(credentials=None)) == []


def test_the_newest_ping_test_and_its_badge() -> None:
    old = PingTest("t1", "w1", "WORKING", "PASSED", 1_000, 2_000, ())
    new = PingTest("t2", "p1", "PUBLISHED", "FAILED", 5_000, 6_000, ())

    assert newest_test([old, None, new]) == new
    assert newest_test([None]) is None
    assert [ping_badge(t) for t in (None, old, new, PingTest("t3", "w1", "WORKING", "RUNNING", 0, None, ()))] == [
        ("Never run", "idle"), ("Passed", "pass"), ("Failed", "fail"), ("Running", "idle")]
    assert (utc_time(1_700_000_000_123), utc_time(None)) == ("2023-11-14 22:13:20 UTC", "")
