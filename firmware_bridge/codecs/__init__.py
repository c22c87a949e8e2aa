"""Pure protocol codecs: bytes in, typed replies out, no I/O."""

from firmware_bridge.codecs import mtsics, scpi
from firmware_bridge.codecs.framing import FrameError, LineBuffer

__all__ = ["FrameError", "LineBuffer", "mtsics", "scpi"]
