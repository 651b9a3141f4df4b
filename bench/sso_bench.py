"""Single sign-on figures, in one run: OpenID Connect sign-ins per second end to end
(``bench/oidc_bench.py``: authorize, token, userinfo over HTTP against a served MarketLink),
then SAML responses signed per second (``saml_signing`` below).

``saml_signing``: SAML responses built and signed per second, in this process, on one core,
for each signature mode (RSA-SHA256, exclusive C14N, the certificate in KeyInfo), with a
typical Assertion (NameID, six attributes). The baseline, measured in the same run with the
same key, is bare RSA-2048 PKCS#1 v1.5 SHA-256 signatures of 100 bytes: what the cryptography
alone costs. ``x rsa`` is responses/s divided by that: the share of the time that is the
signature itself (1.00 would mean XML building and canonicalization were free; a mode that
signs twice cannot exceed 0.50).

Run: ``.venv/bin/python bench/sso_bench.py [--seconds N] [--concurrency C]
[--database-url postgresql://...]`` (the options of the OpenID part; ``--seconds`` is also each
SAML figure's).
"""

import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

from marketlink.sso.saml import responses
from marketlink.sso.saml.keys import SigningKey, new_key_pair
from marketlink.sso.saml.signing import MODES, signed_response

NOW_MS = 1_764_000_000_000


def rate(work, seconds: float) -> float:  # type: ignore[no-untyped-def]
    """Calls of ``work`` per second over about ``seconds`` (after one warm-up call)."""
    work()
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        work()
        count += 1
    return count / elapsed


def saml_signing(seconds: float) -> list[tuple[str, float]]:
    private_pem, certificate = new_key_pair("bench", "MARKETLINK", NOW_MS)
    key = SigningKey(serialization.load_pem_private_key(private_pem.encode(), password=None), certificate)
    envelope = responses.Envelope("https://market.example/saml/idp/1", "https://sp.example/acs",
                                  "_request", NOW_MS)
    statement = responses.Statement(
        "https://sp.example/metadata", "ada@buyer.example", "EMAIL",
        [("email", "ada@buyer.example"), ("firstName", "Ada"), ("lastName", "Lovelace"),
         ("userId", "6f1c1f4e-2b1e-4c41-9d2b-0d3c7c1d2e3f"), ("company", "Buyer Inc"),
         ("account", "acct-1")],
        NOW_MS - 300_000, NOW_MS + 300_000, NOW_MS, "_session", NOW_MS + 43_200_000)
    figures = [("rsa-2048 sha256 signatures (baseline)",
                rate(lambda: key.private_key.sign(b"x" * 100, PKCS1v15(), hashes.SHA256()), seconds))]
    for mode, (sign_response, sign_assertion) in MODES.items():
        figures.append((f"responses signed, {mode}", rate(
            lambda: signed_response(responses.success(envelope, statement), key, "RSA_SHA256",
                                    sign_response=sign_response, sign_assertion=sign_assertion),
            seconds)))
    return figures


def main() -> int:
    sys.path.insert(0, str(Path(__file__).parent))
    import oidc_bench  # a sibling script, not a package
    from graphql_bench import parse_args

    code = oidc_bench.main()
    figures = saml_signing(parse_args().seconds)
    baseline = figures[0][1]
    print(f"{'SAML (one core, in process)':45} {'per s':>10} {'x rsa':>7}")
    for name, per_second in figures:
        print(f"{name:45} {per_second:10.0f} {per_second / baseline:7.2f}")
    return code


if __name__ == "__main__":
    sys.exit(main())
