"""A bare Modbus TCP instrument: 32 writable holding registers, all zero at start.

Run as ``python -m tests.e2e.register_bank PORT``. Tests write values into it with an
ordinary Modbus client, as an instrument's firmware would update its registers.
"""

from __future__ import annotations

import asyncio
import sys

from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice


async def serve(port: int) -> None:
    device = SimDevice(
        id=1, simdata=[SimData(address=0, count=32, values=0, datatype=DataType.REGISTERS)]
    )
    server = ModbusTcpServer(device, address=("127.0.0.1", port))
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
