"""Public checks for the `streams` exercise: run them with `pytest checks/test_streams.py`.

Every server here listens on 127.0.0.1, port 0 (a free port), inside the test's own
event loop, and every wait is bounded so that a mistake fails instead of hanging.
"""

import asyncio

import pytest
from _target import exercise

mod = exercise("streams")

PATIENCE = 2.0  # seconds: far more than a correct answer needs on the loopback


def port_of(server: asyncio.Server) -> int:
    return server.sockets[0].getsockname()[1]


async def start(kind: str) -> asyncio.Server:
    if kind == "protocol":
        loop = asyncio.get_running_loop()
        return await loop.create_server(mod.ReverseProtocol, "127.0.0.1", 0)
    try:
        async with asyncio.timeout(PATIENCE):
            return await mod.start_reverse_server("127.0.0.1", 0)
    except TimeoutError:
        pytest.fail(
            "start_reverse_server never returned: return the server once it listens"
            " (it serves in the background; do not await serve_forever())"
        )


async def stop(server: asyncio.Server) -> None:
    server.close()
    await server.wait_closed()


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["streams", "protocol"])
async def test_server_answers_each_line_before_the_next_one(kind):
    server = await start(kind)
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
    try:
        for line, expected in [("hello", "olleh"), ("héllo wörld ✓", "✓ dlröw olléh")]:
            writer.write(line.encode() + b"\n")
            try:
                async with asyncio.timeout(PATIENCE):
                    answer = await reader.readline()
            except TimeoutError:
                pytest.fail(
                    f"{kind}: no answer to {line!r} while the client stays connected:"
                    " answer each line as soon as its newline arrives"
                )
            assert answer == expected.encode() + b"\n", (
                f"{kind}: the answer to {line!r} should be {expected!r} plus a newline; got {answer!r}"
            )
    finally:
        writer.close()
        await writer.wait_closed()
        await stop(server)


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["streams", "protocol"])
async def test_server_answers_complete_lines_then_closes(kind):
    server = await start(kind)
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
    try:
        writer.write(b"abc\nsecond\nno newline")
        writer.write_eof()  # We close our side: the server must finish and hang up.
        try:
            async with asyncio.timeout(PATIENCE):
                everything = await reader.read()  # reads until the server closes
        except TimeoutError:
            pytest.fail(f"{kind}: after the client closed its side, the server never closed")
        assert everything == b"cba\ndnoces\n", (
            f"{kind}: the server should answer both complete lines, leave the last piece"
            f" (no newline) unanswered, then close; it sent {everything!r}"
        )
    finally:
        writer.close()
        await writer.wait_closed()
        await stop(server)


class RecordingTransport(asyncio.Transport):
    """A pretend connection: remembers what the protocol writes, sends nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def write(self, data) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


@pytest.mark.asyncio
async def test_protocol_joins_lines_split_across_pieces():
    protocol = mod.ReverseProtocol()
    transport = RecordingTransport()
    protocol.connection_made(transport)
    # "é" is two bytes in UTF-8 (c3 a9): the first piece ends between them.
    for piece in [b"ab\xc3", b"\xa9\nxy", b"z\n1\n2", b"\n"]:
        protocol.data_received(piece)
    assert bytes(transport.written) == "éba\nzyx\n1\n2\n".encode(), (
        "data_received gets arbitrary pieces of the byte stream: keep the bytes of an"
        " unfinished line until its newline arrives, and answer every complete line"
        f" in a piece; the protocol wrote {bytes(transport.written)!r}"
    )


@pytest.mark.asyncio
async def test_many_clients_are_served_at_the_same_time():
    server = await start("streams")
    port = port_of(server)
    first = await asyncio.open_connection("127.0.0.1", port)
    second = await asyncio.open_connection("127.0.0.1", port)
    try:
        # The first client connects and then says nothing: the second must not wait.
        reader, writer = second
        writer.write(b"second\n")
        try:
            async with asyncio.timeout(PATIENCE):
                answer = await reader.readline()
        except TimeoutError:
            pytest.fail(
                "a silent client kept another client waiting: serve each connection"
                " on its own (start_server runs one handler task per client)"
            )
        assert answer == b"dnoces\n", f"expected b'dnoces\\n', got {answer!r}"
    finally:
        for _, writer in (first, second):
            writer.close()
            await writer.wait_closed()
        await stop(server)


@pytest.mark.asyncio
async def test_ask_sends_one_line_and_closes_the_connection():
    received: list[bytes] = []
    hung_up = asyncio.Event()

    async def reverse_once(reader, writer):
        # A minimal stand-in server, so that this check does not depend on yours.
        line = await reader.readline()
        received.append(line)
        writer.write(line[:-1][::-1] + b"\n")
        await writer.drain()
        if await reader.read() == b"":  # b"" means the client closed the connection
            hung_up.set()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(reverse_once, "127.0.0.1", 0)
    try:
        async with asyncio.timeout(PATIENCE):
            answer = await mod.ask("127.0.0.1", port_of(server), "stressed")
        assert received == [b"stressed\n"], (
            f"ask should send the line plus a newline; the server received {received}"
        )
        assert answer == "desserts", f"ask should return the answer without its newline, got {answer!r}"
        try:
            async with asyncio.timeout(PATIENCE):
                await hung_up.wait()
        except TimeoutError:
            pytest.fail("ask returned but never closed its connection (writer.close())")
    finally:
        await stop(server)
