"""Every mutation has its own error type implementing UserError, with a code enum that is a subset
of the domain's codes (SPEC §2 "typed userErrors")."""

import importlib
import pkgutil
import re

import pytest

import marketlink.api
from marketlink.api.errors import MutationErrors
from marketlink.api.schema import build_schema
from marketlink.domain.errors import Code
from tests.helpers import settings_for


def mutation_modules() -> dict[str, object]:
    """Every module under marketlink.api that defines ``ERRORS = MutationErrors(...)``."""
    found = {}
    for info in pkgutil.walk_packages(marketlink.api.__path__, "marketlink.api."):
        module = importlib.import_module(info.name)
        if isinstance(getattr(module, "ERRORS", None), MutationErrors):
            found[info.name] = module
    return found


MODULES = mutation_modules()
SDL = build_schema(settings_for("sqlite:///unused.db")).as_str()


def pascal(module_name: str) -> str:
    """``marketlink.api.sso.add_product_integration_saml_configuration`` ->
    ``AddProductIntegrationSamlConfiguration``."""
    return "".join(part.title() for part in module_name.rsplit(".", 1)[1].split("_"))


def camel(module_name: str) -> str:
    name = pascal(module_name)
    return name[0].lower() + name[1:]


def type_name(module) -> str:
    return module.ERRORS.type.__strawberry_definition__.name


def test_every_mutation_of_the_schema_has_an_errors_module():
    mutation_block = re.search(r"^type Mutation \{\n(.*?)^\}", SDL, re.S | re.M).group(1)
    fields = set(re.findall(r"^  (\w+)\(", mutation_block, re.M))

    assert {camel(name) for name in MODULES} == fields


@pytest.mark.parametrize("name", sorted(MODULES))
def test_error_codes_are_domain_codes(name):
    codes = MODULES[name].ERRORS.codes

    assert {c.name for c in codes} <= {c.name for c in Code}
    assert all(c.value == Code[c.name].value for c in codes)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_error_type_is_named_after_the_mutation_and_implements_user_error(name):
    expected = pascal(name) + "Error"

    assert type_name(MODULES[name]) == expected
    assert f"type {expected} implements UserError {{" in SDL


@pytest.mark.parametrize("name", sorted(MODULES))
def test_payload_user_errors_use_the_mutation_error_type(name):
    assert f"  userErrors: [{type_name(MODULES[name])}!]!\n" in SDL


@pytest.mark.parametrize("name", sorted(MODULES))
def test_error_type_has_message_path_and_its_code_enum(name):
    errors = MODULES[name].ERRORS
    block = re.search(rf"^type {type_name(MODULES[name])} implements UserError \{{\n(.*?)^\}}", SDL,
                      re.S | re.M).group(1)
    fields = dict(re.findall(r"^  (\w+): (\S+)$", block, re.M))

    assert fields == {"message": "String!", "path": "[String!]",
                      "code": errors.codes.__strawberry_definition__.name + "!"}
