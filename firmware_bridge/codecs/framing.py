"""Splitting a byte stream into protocol lines, with a bound on line length."""

from __future__ import annotations

__all__ = ["FrameError", "LineBuffer"]


class FrameError(ValueError):
    """Bytes that are not a valid frame of the protocol; ``frame`` holds what was received."""

    def __init__(self, message: str, frame: bytes = b"") -> None:
        super().__init__(message)
        self.frame = frame


class LineBuffer:
    """Accumulates bytes and yields complete lines without their terminator.

    A peer that never sends the terminator must not grow memory without bound, so an
    over-long partial line is discarded and reported as a :class:`FrameError`.
    """

    def __init__(self, terminator: bytes, max_line: int = 256) -> None:
        if not terminator:
            raise ValueError("terminator must not be empty")
        self.terminator = terminator
        self.max_line = max_line
        self._pending = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._pending.extend(data)
        lines: list[bytes] = []
        while True:
            index = self._pending.find(self.terminator)
            if index < 0:
                break
            lines.append(bytes(self._pending[:index]))
            del self._pending[: index + len(self.terminator)]
        if len(self._pending) > self.max_line:
            dropped = bytes(self._pending)
            self._pending.clear()
            raise FrameError(f"no line terminator within {self.max_line} bytes", dropped)
        return lines

    @property
    def pending(self) -> bytes:
        return bytes(self._pending)
