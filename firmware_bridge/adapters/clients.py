"""Request/reply clients for MT-SICS balances and SCPI instruments over a :class:`LineStream`."""

from __future__ import annotations

from firmware_bridge.adapters.transport import LineStream
from firmware_bridge.codecs import mtsics, scpi

__all__ = ["MtSicsClient", "ScpiClient", "ScpiQueryError"]


class MtSicsClient:
    def __init__(self, stream: LineStream, timeout_s: float = 2.0) -> None:
        self.stream = stream
        self.timeout_s = timeout_s

    async def request(
        self, command: mtsics.Command | str, timeout_s: float | None = None
    ) -> mtsics.MtSicsReply:
        await self.stream.write(mtsics.encode_command(command))
        line = await self.stream.read_line(timeout_s or self.timeout_s)
        return mtsics.decode_reply(line)

    async def weigh(self, stable: bool = False) -> mtsics.MtSicsReply:
        """``S`` (wait for stability) or ``SI`` (immediate)."""
        command = mtsics.Command.STABLE_WEIGHT if stable else mtsics.Command.IMMEDIATE_WEIGHT
        return await self.request(command)

    async def zero(self) -> mtsics.MtSicsReply:
        return await self.request(mtsics.Command.ZERO)

    async def serial_number(self) -> str | None:
        reply = await self.request(mtsics.Command.SERIAL_NUMBER)
        return reply.text if isinstance(reply, mtsics.TextReply) else None


class ScpiQueryError(Exception):
    """A query got no reply; ``errors`` holds what the instrument's error queue said."""

    def __init__(self, query: str, errors: list[scpi.ScpiError]) -> None:
        described = "; ".join(f'{e.code},"{e.message}"' for e in errors) or "no error queued"
        super().__init__(f"{query!r} was not answered: {described}")
        self.query = query
        self.errors = errors


class ScpiClient:
    def __init__(self, stream: LineStream, timeout_s: float = 2.0) -> None:
        self.stream = stream
        self.timeout_s = timeout_s

    async def send(self, command: str) -> None:
        await self.stream.write(scpi.encode_command(command))

    async def query(self, command: str) -> bytes:
        await self.send(command)
        return await self.stream.read_line(self.timeout_s)

    async def identify(self) -> scpi.Identity:
        return scpi.decode_identity(await self.query("*IDN?"))

    async def read_errors(self, limit: int = 32) -> list[scpi.ScpiError]:
        """Drain the error queue (stops at ``0,"No error"``)."""
        errors: list[scpi.ScpiError] = []
        for _ in range(limit):
            entry = scpi.decode_error(await self.query("SYST:ERR?"))
            if not entry.is_error:
                break
            errors.append(entry)
        return errors

    async def measure(self, query: str) -> scpi.ScpiNumber:
        """A numeric query; on silence, reads the error queue to say why."""
        try:
            return scpi.decode_number(await self.query(query))
        except TimeoutError:
            self.stream.discard_input()
            errors = await self.read_errors()
            if errors:
                raise ScpiQueryError(query, errors) from None
            raise
