"""WRONG: ask() returns the answer without closing its connection.

Violates: "closes the connection and waits until it is closed". A good grader says: a
client owns its socket; `writer.close()` then `await writer.wait_closed()`, in a
`finally`, or every call leaks a socket and the server never sees the client leave.

Fails: test_ask_closes_its_connection_and_waits
Cause: leak | without closing | writer.close()
"""

from __future__ import annotations

import asyncio


async def _serve_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # One task per connection: start_server runs this for every client, so a slow
    # client only ever waits for itself.
    try:
        while True:
            line = await reader.readline()
            if not line.endswith(b"\n"):
                # b"" is the end of the stream; anything else is a last piece that never
                # got its newline, and the protocol says it is not answered.
                break
            writer.write(line[:-1].decode()[::-1].encode() + b"\n")
            # drain() lets a client that does not read slow us down, instead of letting
            # the answers pile up in memory.
            await writer.drain()
    except ConnectionError:
        pass  # The client went away: nobody is left to answer.
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionError:
            pass


async def start_reverse_server(host: str, port: int) -> asyncio.Server:
    # start_server() returns once the socket listens; the server then accepts clients in
    # the background, on this loop, until someone closes it.
    return await asyncio.start_server(_serve_client, host, port)


class ReverseProtocol(asyncio.Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        # Bytes, not text: a piece may end in the middle of a multi-byte character.
        self._pending = bytearray()

    def data_received(self, data: bytes) -> None:
        # TCP is a byte stream: a piece may hold half a line or several lines, so keep
        # what has no newline yet and answer every line that is complete.
        self._pending += data
        *lines, rest = self._pending.split(b"\n")
        self._pending = bytearray(rest)
        for line in lines:
            self._transport.write(line.decode()[::-1].encode() + b"\n")

    def eof_received(self) -> bool | None:
        # Every complete line is already answered; what is left has no newline and is
        # dropped. Returning a false value tells the transport to close itself, which it
        # does only after the answers still in its buffer are sent.
        return False


async def ask(host: str, port: int, line: str) -> str:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(line.encode() + b"\n")
    await writer.drain()
    answer = await reader.readline()
    return answer.decode().removesuffix("\n")
