"""HOSTILE: returns objects that claim to equal anything, at once, without waiting."""


class Anything(list):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None


class Int(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


async def slow_square(x, delay):
    return Int(0)


async def squares_concurrently(xs, delay):
    return Anything()


async def gather_settled(factories):
    return Anything()
