"""CORRECT: a callable handler class with a readline loop, a bytes-splitting protocol, writelines()."""

from __future__ import annotations

import asyncio
import contextlib


class LineReverser:
    """Serves one connection; an instance is callable, so start_server can use it."""

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            try:
                while line := await reader.readline():
                    if line[-1:] != b"\n":
                        break
                    text = line.decode().removesuffix("\n")
                    writer.write(("".join(reversed(text)) + "\n").encode())
                    await writer.drain()
            finally:
                writer.close()
                await writer.wait_closed()


async def start_reverse_server(host: str, port: int) -> asyncio.Server:
    return await asyncio.start_server(LineReverser(), host=host, port=port)


class ReverseProtocol(asyncio.Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.unfinished = b""

    def data_received(self, data: bytes) -> None:
        # Split the bytes, never the text: only complete lines are decoded.
        lines = (self.unfinished + data).split(b"\n")
        self.unfinished = lines.pop()
        answers = [line.decode()[::-1].encode() + b"\n" for line in lines]
        self.transport.writelines(answers)

    def eof_received(self) -> bool | None:
        return None


async def ask(host: str, port: int, line: str) -> str:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(line.encode("utf-8") + b"\n")
        answer = await reader.readline()
    finally:
        writer.close()
        await writer.wait_closed()
    return answer.decode("utf-8").rstrip("\n")
