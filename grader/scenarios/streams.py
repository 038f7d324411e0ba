"""Scenarios for ``streams``: the student's servers (and the scenario's own server for
``ask``) run on the scenario's loop, on 127.0.0.1 and a free port, next to trusted clients
written here with asyncio streams. Loopback data sits in the peer's kernel buffer as soon
as it is sent, so the virtual clock never jumps past an answer that is on its way.

Clients send lines in awkward pieces (a line split across writes, several lines in one
write, a multi-byte character split between two writes), with a pause between writes so
that the server receives each piece on its own; they half-close with ``write_eof()``,
then read until the server closes. Every wait is bounded, and everything a scenario opens
is closed before it returns (what the student's code leaves is then reported by the
harness).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
from typing import Any

from grader._child.kit import Result, now, scenario

HOST = "127.0.0.1"
PATIENCE = 5.0  # loop seconds any one network wait may take: a correct answer needs none
GAP = 0.1  # loop seconds between two writes, so that each arrives as a piece of its own


def reverse_line(text: str) -> str:
    return text[::-1]


class StartProblem(Exception):
    """The server could not be started or is not what the contract returns."""


async def _start(mod: Any, kind: str) -> asyncio.AbstractServer:
    loop = asyncio.get_running_loop()
    if kind == "protocol":
        return await loop.create_server(mod.ReverseProtocol, HOST, 0)
    try:
        async with asyncio.timeout(PATIENCE):
            server = await mod.start_reverse_server(HOST, 0)
    except TimeoutError:
        raise StartProblem("hung") from None
    if not isinstance(server, asyncio.AbstractServer):
        raise StartProblem(f"returned {type(server).__name__}")
    if not _sockets(server):
        raise StartProblem("no sockets")
    if not server.is_serving():
        server.close()
        raise StartProblem("not serving")
    return server


def _sockets(server: asyncio.AbstractServer) -> list[socket.socket]:
    # AbstractServer does not declare ``sockets``; asyncio's Server (what start_server
    # returns) has it.
    return list(getattr(server, "sockets", None) or ())


def _port(server: asyncio.AbstractServer) -> int:
    return int(_sockets(server)[0].getsockname()[1])


async def _stop(server: asyncio.AbstractServer | None) -> None:
    if server is None:
        return
    server.close()
    with contextlib.suppress(Exception):
        async with asyncio.timeout(PATIENCE):
            await server.wait_closed()


async def _settle() -> list[str]:
    """Wait (bounded) for every other task (the server's handlers) to end."""
    me = asyncio.current_task()
    others = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
    if others:
        await asyncio.wait(others, timeout=PATIENCE)
    return [getattr(t.get_coro(), "__qualname__", "?") for t in others if not t.done()]


class Client:
    """A trusted client: sends bytes, reads what comes back, notes when the server closes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.received = bytearray()
        self.closed_by_server = False
        self.reset = False

    async def connect(self, port: int) -> None:
        async with asyncio.timeout(PATIENCE):
            self.reader, self.writer = await asyncio.open_connection(HOST, port)

    async def send(self, data: bytes) -> None:
        assert self.writer is not None
        with contextlib.suppress(ConnectionError):
            self.writer.write(data)
            await self.writer.drain()

    def half_close(self) -> None:
        assert self.writer is not None
        with contextlib.suppress(ConnectionError, OSError):
            if not self.writer.is_closing():
                self.writer.write_eof()

    async def read_lines(self, count: int, patience: float = PATIENCE) -> None:
        """Read until ``count`` more newlines arrived, the server closed, or patience ran out."""
        assert self.reader is not None
        want = self.received.count(b"\n") + count
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(patience):
                while self.received.count(b"\n") < want and not self.closed_by_server:
                    await self._read_some()

    async def read_to_end(self, patience: float = PATIENCE) -> None:
        """Read until the server closes the connection, or patience ran out."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(patience):
                while not self.closed_by_server:
                    await self._read_some()

    async def _read_some(self) -> None:
        assert self.reader is not None
        try:
            chunk = await self.reader.read(65536)
        except ConnectionError:
            self.reset = self.closed_by_server = True
            return
        if chunk:
            self.received += chunk
        else:
            self.closed_by_server = True

    async def close(self) -> None:
        if self.writer is None:
            return
        self.writer.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(PATIENCE):
                await self.writer.wait_closed()

    def text(self) -> str:
        return self.received.decode("utf-8", "replace")


def _pieces(text: str, cuts: list[int]) -> list[bytes]:
    data = text.encode()
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(data)), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds) if b > a]


# -- results -----------------------------------------------------------------------------


class Served(Result):
    """An exchange with a student's server. When ``start_problem`` is set, the server could
    not be used and the other fields keep their defaults."""

    start_problem: str | None = None  # "hung", "returned <type>", "no sockets", "not serving"
    handlers_left: list[str] = []  # tasks still running once the clients left and it closed


class Listening(Result):
    host: str  # the address it listens on
    port_chosen: bool  # a free port was chosen (port 0 was passed on)


class Started(Served):
    returned: Listening | None = None
    took: float = 0.0  # loop seconds start_reverse_server took to return
    received: str = ""  # what a client that sent "ping\n" then EOF received
    closed: bool = False  # the server closed that connection


class Answers(Served):
    returned: list[str | None] = []  # the answer to each line (None: no answer came)
    closed: bool = False  # the server closed the connection after the client's EOF


class Pieces(Served):
    returned: str = ""  # all the client received
    before_eof: str = ""  # what it had received before it sent EOF
    closed: bool = False  # the server closed the connection
    reset: bool = False  # the connection was reset rather than closed
    closed_after: float | None = None  # loop seconds from EOF to the server's close


class ManyClients(Served):
    returned: list[str] = []  # what each client received in all
    answered_while_slow_waited: list[str] = []  # what each had received before it sent EOF
    closed_while_slow_waited: list[bool] = []  # each was disconnected after its EOF
    slow: str = ""  # what the slow client received
    slow_closed: bool = False  # the slow client was disconnected in the end


class Asked(Result):
    returned: Any
    hung: bool  # ask had not returned after PATIENCE loop seconds
    received: bytes  # all the server received from ask
    server_saw_close: bool  # the server read EOF from ask's connection
    connections: int  # connections the server accepted
    tracked: int  # connections the loop made (ask's)
    open_at_return: int  # of those, sockets still open when ask returned
    handlers_left: list[str]  # tasks still running once ask returned and the server closed


# -- scenarios ---------------------------------------------------------------------------

@scenario("virtual")
async def start(mod: Any) -> Started:
    """``start_reverse_server("127.0.0.1", 0)``: what it returns, and one exchange with it."""
    t0 = now()
    try:
        server = await _start(mod, "streams")
    except StartProblem as exc:
        return Started(start_problem=str(exc))
    took = round(now() - t0, 6)
    address = _sockets(server)[0].getsockname()
    client = Client("one")
    try:
        await client.connect(_port(server))
        await client.send(b"ping\n")
        await client.read_lines(1)
        client.half_close()
        await client.read_to_end()
    finally:
        await client.close()
        await _stop(server)
        left = await _settle()
    return Started(returned=Listening(host=address[0], port_chosen=address[1] != 0), took=took,
                   received=client.text(), closed=client.closed_by_server, handlers_left=left)


@scenario("virtual")
async def interactive(mod: Any, kind: str, lines: list[str]) -> Answers:
    """One client sends each line (whole, with its newline) and waits for its answer before
    sending the next; then it half-closes and reads to the end."""
    try:
        server = await _start(mod, kind)
    except StartProblem as exc:
        return Answers(start_problem=str(exc))
    client = Client("one")
    answers: list[str | None] = []
    try:
        await client.connect(_port(server))
        for line in lines:
            before = len(client.received)
            await client.send(line.encode() + b"\n")
            await client.read_lines(1)
            got = bytes(client.received[before:])
            answers.append(got.decode("utf-8", "replace") if got else None)
        client.half_close()
        await client.read_to_end()
    finally:
        await client.close()
        await _stop(server)
        left = await _settle()
    return Answers(returned=answers, closed=client.closed_by_server, handlers_left=left)


@scenario("virtual")
async def pieces(mod: Any, kind: str, text: str, cuts: list[int]) -> Pieces:
    """One client sends ``text`` (UTF-8) cut at the byte offsets ``cuts``, a piece per
    write, then half-closes and reads until the server closes."""
    try:
        server = await _start(mod, kind)
    except StartProblem as exc:
        return Pieces(start_problem=str(exc))
    client = Client("one")
    before_eof = b""
    try:
        await client.connect(_port(server))
        for piece in _pieces(text, cuts):
            await client.send(piece)
            await asyncio.sleep(GAP)
        expected_lines = text.count("\n")
        await client.read_lines(max(0, expected_lines - client.received.count(b"\n")),
                                patience=GAP)
        before_eof = bytes(client.received)
        client.half_close()
        eof_sent = now()
        await client.read_to_end()
        closed_after = round(now() - eof_sent, 6)
    finally:
        await client.close()
        await _stop(server)
        left = await _settle()
    return Pieces(returned=client.text(), before_eof=before_eof.decode("utf-8", "replace"),
                  closed=client.closed_by_server, reset=client.reset,
                  closed_after=closed_after if client.closed_by_server else None,
                  handlers_left=left)


@scenario("virtual")
async def many_clients(mod: Any, kind: str, scripts: list[list[str]]) -> ManyClients:
    """A slow client connects first and sends half a line, then nothing for a long while.
    Meanwhile the other clients (one per script, a list of lines each) connect and send
    their lines in small pieces, taking turns write by write; each reads its answers, then
    half-closes and reads to the end. Only then does the slow client finish its line."""
    try:
        server = await _start(mod, kind)
    except StartProblem as exc:
        return ManyClients(start_problem=str(exc))
    port = _port(server)
    slow = Client("slow")
    clients = [Client(f"c{i}") for i in range(len(scripts))]
    report = ManyClients()
    try:
        await slow.connect(port)
        await slow.send(b"sl")
        for client in clients:
            await client.connect(port)
        # Each client's bytes, cut in pieces of (3 + i) bytes: cuts fall inside lines and
        # inside multi-byte characters, and different clients' pieces interleave.
        queues = []
        for i, lines in enumerate(scripts):
            data = "".join(line + "\n" for line in lines).encode()
            size = 3 + i
            queues.append([data[j:j + size] for j in range(0, len(data), size)])
        while any(queues):
            for client, queue in zip(clients, queues, strict=True):
                if queue:
                    await client.send(queue.pop(0))
            await asyncio.sleep(GAP)
        for client, lines in zip(clients, scripts, strict=True):
            await client.read_lines(len(lines) - client.received.count(b"\n"))
        report.answered_while_slow_waited = [c.text() for c in clients]
        for client in clients:
            client.half_close()
        for client in clients:
            await client.read_to_end()
        report.closed_while_slow_waited = [c.closed_by_server for c in clients]
        await slow.send(b"ow\n")
        slow.half_close()
        await slow.read_to_end()
        report.slow = slow.text()
        report.slow_closed = slow.closed_by_server
    finally:
        for client in [slow, *clients]:
            await client.close()
        await _stop(server)
        report.handlers_left = await _settle()
    report.returned = [c.text() for c in clients]
    return report


@scenario("virtual")
async def ask(mod: Any, line: str) -> Asked:
    """``ask(host, port, line)`` against a server made here: it reads one line, answers it
    reversed, then waits for the client to close. Connections the loop makes are tracked,
    to tell whether ask's socket was really closed by the time ask returned."""
    loop = asyncio.get_running_loop()
    seen: dict[str, Any] = {"received": b"", "eof": False, "connections": 0}
    client_transports: list[asyncio.BaseTransport] = []
    original = loop.create_connection

    async def tracked_create_connection(*args: Any, **kwargs: Any) -> Any:
        transport, protocol = await original(*args, **kwargs)
        client_transports.append(transport)
        return transport, protocol

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen["connections"] += 1
        try:
            async with asyncio.timeout(PATIENCE):
                data = await reader.readline()
                seen["received"] += data
                if data.endswith(b"\n"):
                    text = data[:-1].decode("utf-8", "replace")
                    writer.write(reverse_line(text).encode() + b"\n")
                    await writer.drain()
                while chunk := await reader.read(65536):
                    seen["received"] += chunk
                seen["eof"] = True
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    server = await asyncio.start_server(handler, HOST, 0)
    loop.create_connection = tracked_create_connection  # type: ignore[method-assign]
    returned: Any = None
    hung = False
    try:
        try:
            async with asyncio.timeout(PATIENCE) as cm:
                returned = await mod.ask(HOST, _port(server), line)
        except TimeoutError:
            if not cm.expired():
                raise
            hung = True
        sockets = [t.get_extra_info("socket") for t in client_transports]
        open_at_return = sum(1 for s in sockets if s is not None and s.fileno() != -1)
    finally:
        del loop.create_connection
        await _stop(server)
        left = await _settle()
    return Asked(returned=returned, hung=hung, received=seen["received"],
                 server_saw_close=seen["eof"], connections=seen["connections"],
                 tracked=len(client_transports), open_at_return=open_at_return,
                 handlers_left=left)
