"""The parser and validation caches hit on a repeated query: the depth and alias limiters are
built once with the schema, so their rules do not change the validation cache's key."""

from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import _get_validate_cache

QUERY = "query Repeat { viewer { role vendorId } }"


async def test_repeated_query_hits_parse_and_validation_caches(world):
    validate, parse = _get_validate_cache(256), _get_parse_cache(256)
    await world.api.data(QUERY, None, world.dev_a)
    validate_hits, parse_hits = validate.cache_info().hits, parse.cache_info().hits

    data = await world.api.data(QUERY, None, world.dev_a)

    assert data == {"viewer": {"role": "DEVELOPER", "vendorId": world.vendor_a}}
    assert validate.cache_info().hits == validate_hits + 1
    assert parse.cache_info().hits == parse_hits + 1
