"""``marketlink oidc rotate-key``: a new signing key, printed by its kid; the previous one
retires and stays published."""

import re

from tests.e2e.test_cli import Cli


def test_rotate_key_prints_the_new_kid_and_retires_the_previous_key(tmp_path):
    cli = Cli(tmp_path)
    cli.ok("migrate")

    first = cli.ok("oidc", "rotate-key").strip()
    second = cli.ok("oidc", "rotate-key").strip()

    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", first) and re.fullmatch(r"[A-Za-z0-9_-]{43}", second)
    rows = cli.rows("SELECT kid, retired_on IS NULL, expires_on IS NULL FROM oidc_signing_keys "
                    "ORDER BY created_on, kid")
    assert sorted(rows) == sorted([(first, 0, 0), (second, 1, 1)])
