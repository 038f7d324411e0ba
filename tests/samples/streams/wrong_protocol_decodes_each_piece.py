"""WRONG: ReverseProtocol decodes every piece data_received gets on its own, then buffers text.

Violates: "lines may arrive cut in pieces at any byte". TCP may end a piece inside a
multi-byte UTF-8 character; decoding that piece alone raises UnicodeDecodeError in
data_received, and the loop closes the connection. A good grader says: a character split
between two pieces (not connections sharing state, nor a bare crash): keep bytes until a
line is complete and decode the whole line, or use an incremental decoder.

Fails: test_protocol_server_handles_awkward_pieces, test_protocol_server_serves_clients_independently
Cause: wrong | UnicodeDecodeError | inside a character
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
    """One instance per connection; the loop calls its methods as events happen."""

    def connection_made(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._pending = ""

    def data_received(self, data: bytes) -> None:
        # TCP is a byte stream: a piece may hold half a line or several lines, so keep
        # what has no newline yet and answer every line that is complete.
        self._pending += data.decode()  # a piece decoded on its own
        *lines, rest = self._pending.split("\n")
        self._pending = rest
        for line in lines:
            self._transport.write(line[::-1].encode() + b"\n")

    def eof_received(self) -> bool | None:
        # Every complete line is already answered; what is left has no newline and is
        # dropped. Returning a false value tells the transport to close itself, which it
        # does only after the answers still in its buffer are sent.
        return False


async def ask(host: str, port: int, line: str) -> str:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(line.encode() + b"\n")
        await writer.drain()
        answer = await reader.readline()
    finally:
        # close() only starts closing; wait_closed() makes sure the socket is really
        # released before we return, so nothing is left behind.
        writer.close()
        await writer.wait_closed()
    return answer.decode().removesuffix("\n")
