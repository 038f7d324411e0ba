"""WRONG: the streams server reads everything up to the client's EOF (reader.read()) and only then answers.

Violates: "for each line the server answers the line reversed ... until the client closes
its side". A good grader says: a client that waits for the answer to its first line
before it sends the next (or closes) waits for ever; read line by line (readline()) and
answer each line as soon as its newline arrives.

Fails: test_streams_server_answers_each_line_before_the_next, test_streams_server_serves_clients_independently
Cause: wrong | no answer to 'hello' | as soon as its newline arrives
"""

from __future__ import annotations

import asyncio


async def _serve_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        # Everything the client sends, up to its EOF, then every complete line answered.
        data = await reader.read()
        *lines, _rest = data.split(b"\n")
        for line in lines:
            writer.write(line.decode()[::-1].encode() + b"\n")
        await writer.drain()
    except ConnectionError:
        pass
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
