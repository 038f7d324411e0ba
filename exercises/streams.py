"""Streams: a server and a client over TCP.

asyncio talks to the network in two layers. The high-level *streams* API gives each
connection a ``StreamReader`` (``await reader.readline()``) and a ``StreamWriter``
(``writer.write(...)``, ``await writer.drain()``, ``writer.close()``,
``await writer.wait_closed()``); ``asyncio.start_server`` runs one handler coroutine
per client, so many clients are served at once by a single thread. Underneath, the
*transports and protocols* API calls your methods (``data_received``,
``eof_received``) with whatever bytes arrived: TCP is a stream of bytes, not of
messages, so a piece may hold half a line or several lines, and you must keep the
rest yourself. Both layers matter: streams for writing clients and servers, protocols
to understand (and sometimes to beat) what streams do for you.

You will write the same tiny protocol twice and a client for it. The protocol: the
client sends lines of UTF-8 text ending in ``\\n``; for each line the server answers
the line reversed (by code point), ending in ``\\n``, until the client closes its
side; then the server answers the complete lines it still has and closes the
connection. A last piece with no newline is not answered. Lines are valid UTF-8 and
shorter than 64 KiB. Many clients are served at the same time, each independently.

Read: https://docs.python.org/3/library/asyncio-stream.html and
https://docs.python.org/3/library/asyncio-protocol.html
"""

from __future__ import annotations

import asyncio


async def start_reverse_server(host: str, port: int) -> asyncio.Server:
    """Start the reverse server with the streams API and return it, already serving.

    Use ``asyncio.start_server`` with a handler coroutine that serves one client:
    for each line (ending in ``\\n``) it answers the line reversed (by code point),
    ending in ``\\n``, until the client closes its side; then it answers the complete
    lines it still has and closes the connection. A last piece with no newline is not
    answered. Lines are valid UTF-8 and shorter than 64 KiB. Many clients are served
    at the same time, each independently.

    Args:
        host: the address to listen on, e.g. ``"127.0.0.1"``.
        port: the port to listen on; ``0`` picks a free port (read it back with
            ``server.sockets[0].getsockname()[1]``).

    Returns:
        The ``asyncio.Server``, serving. Do not wait for it to stop (no
        ``serve_forever()``): the caller owns it and closes it.
    """
    raise NotImplementedError


class ReverseProtocol(asyncio.Protocol):
    """The same server behaviour with the transport and protocol API.

    Used as ``await loop.create_server(ReverseProtocol, host, port)``: the loop makes
    one instance per connection. Data arrives in arbitrary pieces: a line may be split
    across ``data_received`` calls (even in the middle of a multi-byte character), and
    one call may carry several lines. Each complete line is answered reversed (by code
    point), ending in ``\\n``. When the client closes its side, the complete lines are
    answered, a last piece with no newline is not, and the connection is closed.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:
        """A client connected: keep ``transport`` (you write answers to it) and set up
        this connection's state."""
        raise NotImplementedError

    def data_received(self, data: bytes) -> None:
        """Some bytes arrived: answer every line that is now complete (reversed, ending
        in ``\\n``, written to the transport) and keep the rest for later."""
        raise NotImplementedError

    def eof_received(self) -> bool | None:
        """The client closed its side: the complete lines are answered, a last piece
        with no newline is not, and the connection is closed (returning a false value
        makes the transport close itself once its answers are sent)."""
        raise NotImplementedError


async def ask(host: str, port: int, line: str) -> str:
    """Ask the reverse server at ``host:port`` about one line, as a client.

    Connects, sends ``line`` (which holds no newline) with a newline, reads one answer
    line, closes the connection and waits until it is closed (``writer.close()`` then
    ``await writer.wait_closed()``), and returns the answer without its newline.
    Nothing is left open when it returns or raises.

    Args:
        host: the server's address.
        port: the server's port.
        line: the text to send, without a newline.

    Returns:
        The server's answer line, without its ``\\n`` (``ask(h, p, "abc")`` gives
        ``"cba"`` from a reverse server).
    """
    raise NotImplementedError
