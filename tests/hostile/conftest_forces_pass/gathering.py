"""HOSTILE: the stub itself, beside a conftest.py and pytest.ini that force passes."""


async def slow_square(x, delay):
    raise NotImplementedError


async def squares_concurrently(xs, delay):
    raise NotImplementedError


async def gather_settled(factories):
    raise NotImplementedError
