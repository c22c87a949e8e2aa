"""A TCP server for request/reply line protocols, with fault injection between the lines."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

from firmware_bridge.codecs.framing import FrameError, LineBuffer
from firmware_bridge.faults import Fault, FaultPlan

__all__ = ["GARBAGE_FRAME", "LineProtocolSimulator"]

log = logging.getLogger(__name__)

#: What a loose connector or a wrong baud rate puts on the line.
GARBAGE_FRAME = b"\x00\xfe#~\x87S?\x15\x9c"


class LineProtocolSimulator(ABC):
    """Accepts TCP connections and answers each received line with :meth:`respond`."""

    terminator: bytes = b"\r\n"

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, faults: FaultPlan | None = None
    ) -> None:
        self.host = host
        self.requested_port = port
        self.port: int | None = None
        self.faults = faults or FaultPlan()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self.requests_seen = 0

    @abstractmethod
    async def respond(self, command: str, writer: asyncio.StreamWriter) -> bytes | None:
        """The reply to one command line (without terminator); ``None`` sends nothing."""

    def inject(self, fault: Fault) -> None:
        """Turn a fault on; ``DROP`` also closes current connections at once."""
        self.faults.inject(fault)
        if fault is Fault.DROP and self._writers:
            self.faults.clear(Fault.DROP)
            self.drop_connections()

    def clear(self, fault: Fault | None = None) -> None:
        self.faults.clear(fault)

    def drop_connections(self) -> None:
        for writer in list(self._writers):
            # abort(): a dropped link sends no FIN niceties, like a cable pulled.
            writer.transport.abort()

    async def start(self) -> int:
        self._server = await asyncio.start_server(
            self._handle, host=self.host, port=self.requested_port
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self.drop_connections()
            for task in list(self._handlers):
                task.cancel()
            if self._handlers:
                await asyncio.gather(*self._handlers, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def serve(self) -> None:
        """Start (if needed) and run until cancelled."""
        if self._server is None:
            await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        self._writers.add(writer)
        buffer = LineBuffer(self.terminator, max_line=1024)
        try:
            while True:
                data = await reader.read(1024)
                if not data:
                    return
                try:
                    lines = buffer.feed(data)
                except FrameError:
                    log.info("discarded an over-long command line")
                    continue
                for line in lines:
                    if not await self._answer(line, writer):
                        return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            self._writers.discard(writer)
            writer.transport.abort()
            if task is not None:
                self._handlers.discard(task)

    async def _answer(self, line: bytes, writer: asyncio.StreamWriter) -> bool:
        """Send the reply to one line; False once the connection is gone."""
        self.requests_seen += 1
        if self.faults.is_active(Fault.SLOW):
            await asyncio.sleep(self.faults.slow_reply_s)
        if self.faults.take(Fault.DROP):
            writer.transport.abort()
            return False
        if self.faults.take(Fault.GARBAGE):
            writer.write(GARBAGE_FRAME + self.terminator)
            await writer.drain()
            return True
        command = line.decode("ascii", errors="replace").strip()
        reply = await self.respond(command, writer)
        if reply is not None:
            writer.write(reply)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        return not writer.is_closing()
