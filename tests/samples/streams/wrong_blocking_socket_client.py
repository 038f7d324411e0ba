"""WRONG: ask() uses a blocking socket (socket.create_connection, sendall, recv) on the loop thread.

Violates: "Without blocking the loop" (blocking socket I/O). A good grader says: the
loop stops while recv() waits, so nothing else runs, not even a server on the same loop
that would answer; use asyncio.open_connection() and await the reader.

Fails: test_ask_sends_one_line_and_returns_the_answer, test_ask_keeps_the_line_as_it_is, test_ask_closes_its_connection_and_waits, test_ask_does_not_block
Cause: blocking | socket | asyncio
"""

from __future__ import annotations

import asyncio
import socket


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
    # The timeout only keeps this sample from hanging for ever.
    with socket.create_connection((host, port), timeout=1.0) as sock:
        sock.sendall(line.encode() + b"\n")
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer.decode().removesuffix("\n")
