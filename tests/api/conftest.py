import pytest

from tests.helpers import make_world


@pytest.fixture
async def world(db):
    world, client = await make_world(db)
    async with client:
        yield world
