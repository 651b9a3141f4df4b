from marketlink.domain.event_documents import Marketplace
from marketlink.domain.placeholders import fill, placeholder_values
from marketlink.domain.sso import PLACEHOLDERS

USER = {"id": "u-1", "email": "ada+x@buyer.example", "first_name": "Ada", "last_name": "Lovelace",
        "language": "en", "locale": "en-GB"}
COMPANY = {"id": "c-1", "name": "Buyer & Co", "country": "GB"}
SUBSCRIPTION = {"id": "s-1", "account_identifier": "acct-7"}
MARKET = Marketplace("MARKETLINK", "https://market.example")


def test_every_accepted_placeholder_has_a_value():
    values = placeholder_values(USER, COMPANY, SUBSCRIPTION, "host-u", MARKET)

    assert set(values) == PLACEHOLDERS
    assert values == {
        "user.uuid": "u-1", "user.email": "ada+x@buyer.example", "user.emailAddress": "ada+x@buyer.example",
        "user.firstName": "Ada", "user.lastName": "Lovelace", "user.fullName": "Ada Lovelace",
        "user.language": "en", "user.locale": "en-GB", "user.openId": "https://market.example/openid/id/u-1",
        "user.userIdentifier": "host-u", "company.uuid": "c-1", "company.name": "Buyer & Co",
        "company.externalId": "", "company.country": "GB", "subscription.uuid": "s-1",
        "account.accountIdentifier": "acct-7", "marketplace.partner": "MARKETLINK",
        "marketplace.baseUrl": "https://market.example"}


def test_fill_encodes_values_in_urls_and_leaves_unknown_names():
    values = placeholder_values(USER, COMPANY, None, None, MARKET)
    template = "https://app.example/sso?email={user.email}&co={company.name}&x={nope.nope}&a={account.accountIdentifier}"

    assert fill(template, values, in_url=True) == (
        "https://app.example/sso?email=ada%2Bx%40buyer.example&co=Buyer%20%26%20Co&x={nope.nope}&a=")
    assert fill("{user.fullName} <{user.email}>", values) == "Ada Lovelace <ada+x@buyer.example>"
