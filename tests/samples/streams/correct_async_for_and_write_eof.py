"""CORRECT: `async for` over the reader, a find() loop in the protocol, write_eof() in the client."""

from __future__ import annotations

import asyncio


def reverse_line(line: bytes) -> bytes:
    return line.decode()[::-1].encode() + b"\n"


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        # A StreamReader iterates line by line and stops at the end of the stream.
        async for line in reader:
            if line.endswith(b"\n"):
                writer.write(reverse_line(line[:-1]))
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
    server = await asyncio.start_server(handle, host, port, start_serving=False)
    await server.start_serving()
    return server


class ReverseProtocol(asyncio.Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buffer.extend(data)
        start = 0
        while (end := self.buffer.find(b"\n", start)) != -1:
            self.transport.write(reverse_line(bytes(self.buffer[start:end])))
            start = end + 1
        del self.buffer[:start]

    def eof_received(self) -> bool | None:
        self.buffer.clear()
        self.transport.close()
        return True


async def ask(host: str, port: int, line: str) -> str:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"{line}\n".encode())
        # Nothing more to say: half-close, and the server answers and hangs up.
        writer.write_eof()
        answer = await reader.readuntil(b"\n")
    finally:
        writer.close()
        await writer.wait_closed()
    return answer[:-1].decode()
