"""Line-oriented links to instruments: TCP (asyncio streams) and serial (pyserial in a thread).

Both present the same small :class:`LineStream` interface, so the MT-SICS and SCPI clients do
not care how the instrument is attached. pyserial is blocking; its reads run in a worker thread
with a short timeout so a stuck port never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any, Protocol

from firmware_bridge.codecs.framing import LineBuffer

__all__ = ["LineStream", "SerialLineStream", "TcpLineStream"]


class LineStream(Protocol):
    """A connected link that sends bytes and returns whole reply lines."""

    async def write(self, data: bytes) -> None: ...

    async def read_line(self, wait_s: float) -> bytes:
        """The next line without terminator; ``TimeoutError``, ``ConnectionError`` or ``FrameError``."""
        ...

    def discard_input(self) -> None:
        """Forget any received but unread bytes (after a timeout, to resynchronise)."""
        ...

    async def close(self) -> None: ...


class TcpLineStream:
    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, terminator: bytes
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._buffer = LineBuffer(terminator)
        self._lines: deque[bytes] = deque()

    @classmethod
    async def open(
        cls, host: str, port: int, terminator: bytes, connect_wait_s: float = 5.0
    ) -> TcpLineStream:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), connect_wait_s)
        return cls(reader, writer, terminator)

    async def write(self, data: bytes) -> None:
        if self._writer.is_closing():
            raise ConnectionResetError("connection closed")
        self._writer.write(data)
        await self._writer.drain()

    async def read_line(self, wait_s: float) -> bytes:
        async with asyncio.timeout(wait_s):
            while not self._lines:
                data = await self._reader.read(1024)
                if not data:
                    raise ConnectionResetError("instrument closed the connection")
                self._lines.extend(self._buffer.feed(data))
        return self._lines.popleft()

    def discard_input(self) -> None:
        self._lines.clear()
        self._buffer = LineBuffer(self._buffer.terminator, self._buffer.max_line)

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()


class SerialLineStream:
    """pyserial port or URL (``/dev/ttyUSB0``, ``socket://host:port``, ``loop://``)."""

    _READ_CHUNK_TIMEOUT_S = 0.1

    def __init__(self, port: Any, terminator: bytes) -> None:
        self._port = port
        self._buffer = LineBuffer(terminator)
        self._lines: deque[bytes] = deque()
        # One request at a time per port, as with any shared serial bus.
        self._lock = asyncio.Lock()

    @classmethod
    async def open(
        cls,
        url: str,
        terminator: bytes,
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: float = 1,
    ) -> SerialLineStream:
        import serial  # pyserial is needed only for serial lines, so imported when one is used

        def _open() -> Any:
            return serial.serial_for_url(
                url,
                baudrate=baudrate,
                bytesize=bytesize,
                parity=parity,
                stopbits=stopbits,
                timeout=cls._READ_CHUNK_TIMEOUT_S,
            )

        try:
            port = await asyncio.to_thread(_open)
        except serial.SerialException as exc:
            # The cause names the SerialException (its text may be empty): see errors.describe.
            raise ConnectionRefusedError(f"cannot open serial port {url}") from exc
        return cls(port, terminator)

    async def write(self, data: bytes) -> None:
        import serial  # pyserial is needed only for serial lines, so imported when one is used

        async with self._lock:
            try:
                await asyncio.to_thread(self._port.write, data)
            except serial.SerialException as exc:
                raise ConnectionResetError("serial port write failed") from exc

    async def read_line(self, wait_s: float) -> bytes:
        import serial  # pyserial is needed only for serial lines, so imported when one is used

        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        async with self._lock:
            while not self._lines:
                if loop.time() >= deadline:
                    raise TimeoutError("no reply from instrument")
                try:
                    data: bytes = await asyncio.to_thread(self._port.read, 256)
                except serial.SerialException as exc:
                    raise ConnectionResetError("serial port read failed") from exc
                if data:
                    self._lines.extend(self._buffer.feed(data))
            return self._lines.popleft()

    def discard_input(self) -> None:
        self._lines.clear()
        self._buffer = LineBuffer(self._buffer.terminator, self._buffer.max_line)
        with contextlib.suppress(Exception):
            self._port.reset_input_buffer()

    async def close(self) -> None:
        await asyncio.to_thread(self._port.close)
