"""Request/reply clients for MT-SICS balances and SCPI instruments over a :class:`LineStream`."""

from __future__ import annotations

from firmware_bridge.adapters.transport import LineStream
from firmware_bridge.codecs import mtsics, scpi
from firmware_bridge.codecs.framing import FrameError

__all__ = ["MtSicsClient", "ScpiClient", "ScpiCommandError", "ScpiQueryError"]


class MtSicsClient:
    """One balance: each method sends one command and returns its decoded reply.

    Replies are returned as they come (status replies included); only a reply that cannot
    belong to the command (another ID, line noise) raises :class:`FrameError`. Use
    :func:`mtsics.explain` to turn any reply into a sentence.
    """

    def __init__(self, stream: LineStream, timeout_s: float = 2.0) -> None:
        self.stream = stream
        self.timeout_s = timeout_s

    async def request(
        self, command: mtsics.Command | str, *params: str, timeout_s: float | None = None
    ) -> mtsics.MtSicsReply:
        await self.stream.write(mtsics.encode_command(command, *params))
        line = await self.stream.read_line(timeout_s or self.timeout_s)
        reply = mtsics.decode_reply(line)
        name = str(command).split(" ", 1)[0]
        expected = mtsics.REPLY_ID.get(name, name)
        if not isinstance(reply, mtsics.MtSicsError) and reply.command != expected:
            raise FrameError(
                f"reply {line!r} to {name} carries ID {reply.command!r}, expected {expected!r}",
                line,
            )
        return reply

    async def weigh(self, stable: bool = False) -> mtsics.MtSicsReply:
        """``S`` (wait for stability) or ``SI`` (immediate)."""
        command = mtsics.Command.STABLE_WEIGHT if stable else mtsics.Command.IMMEDIATE_WEIGHT
        return await self.request(command)

    async def zero(self, immediately: bool = False) -> mtsics.MtSicsReply:
        """``Z`` (waits for stability) or ``ZI``."""
        command = mtsics.Command.ZERO_IMMEDIATE if immediately else mtsics.Command.ZERO
        return await self.request(command)

    async def tare(self) -> mtsics.MtSicsReply:
        """``T``: answered ``T S <tare weight> <unit>`` once stable."""
        return await self.request(mtsics.Command.TARE)

    async def tare_value(self) -> mtsics.MtSicsReply:
        return await self.request(mtsics.Command.TARE_VALUE)

    async def preset_tare(self, value: str, unit: str) -> mtsics.MtSicsReply:
        return await self.request(mtsics.Command.TARE_VALUE, value, unit)

    async def clear_tare(self) -> mtsics.MtSicsReply:
        return await self.request(mtsics.Command.CLEAR_TARE)

    async def reset(self) -> mtsics.MtSicsReply:
        return await self.request(mtsics.Command.RESET)

    async def _text(self, command: mtsics.Command) -> str | None:
        reply = await self.request(command)
        return reply.text if isinstance(reply, mtsics.TextReply) else None

    async def balance_data(self) -> str | None:
        """``I2``: type, capacity and unit."""
        return await self._text(mtsics.Command.BALANCE_DATA)

    async def software_version(self) -> str | None:
        return await self._text(mtsics.Command.SOFTWARE_VERSION)

    async def serial_number(self) -> str | None:
        return await self._text(mtsics.Command.SERIAL_NUMBER)


class ScpiQueryError(Exception):
    """A query got no usable reply; ``errors`` holds what the instrument's error queue said."""

    def __init__(
        self, query: str, errors: list[scpi.ScpiError], what: str = "was not answered"
    ) -> None:
        described = "; ".join(str(e) for e in errors) or "no error queued"
        super().__init__(f"{query!r} {what}: instrument error queue says {described}")
        self.query = query
        self.errors = errors


class ScpiCommandError(Exception):
    """A command (no reply expected) left entries in the error queue."""

    def __init__(self, command: str, errors: list[scpi.ScpiError]) -> None:
        described = "; ".join(str(e) for e in errors)
        super().__init__(f"{command!r} was refused: instrument error queue says {described}")
        self.command = command
        self.errors = errors


class ScpiClient:
    """SCPI over a :class:`LineStream`; whenever something goes wrong it reads the error queue."""

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

    async def integer(self, query: str) -> int:
        return scpi.decode_integer(await self.query(query))

    async def status_byte(self) -> scpi.StatusByte:
        """``*STB?`` (does not clear anything)."""
        return scpi.StatusByte(await self.integer("*STB?"))

    async def event_status(self) -> scpi.EventStatus:
        """``*ESR?`` (reading clears the register)."""
        return scpi.EventStatus(await self.integer("*ESR?"))

    async def command(self, command: str) -> None:
        """Send a command that has no reply, then read the error queue to see it was taken."""
        await self.send(command)
        errors = await self.read_errors()
        if errors:
            raise ScpiCommandError(command, errors)

    async def measure(self, query: str) -> scpi.ScpiNumber:
        """A numeric query; on silence or a garbled reply, reads the error queue to say why."""
        try:
            return scpi.decode_number(await self.query(query))
        except TimeoutError:
            self.stream.discard_input()
            errors = await self.read_errors()
            if errors:
                raise ScpiQueryError(query, errors) from None
            raise
        except FrameError as exc:
            self.stream.discard_input()
            errors = await self.read_errors()
            if errors:
                raise ScpiQueryError(query, errors, f"got an unusable reply ({exc})") from exc
            raise
