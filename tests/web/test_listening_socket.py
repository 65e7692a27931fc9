"""The server's own listening socket: connections it accepts send small answers at once."""

from __future__ import annotations

import asyncio
import socket

from bot.cli.serve import bind_port


def test_accepted_connections_have_nagle_off() -> None:
    """asyncio turns Nagle off only on sockets made with IPPROTO_TCP: the listening socket is
    one, so an answer's headers and body are not held back for the client's delayed ACK."""
    listening = bind_port("127.0.0.1", 0)
    assert listening.proto == socket.IPPROTO_TCP
    seen: list[int] = []

    async def main() -> None:
        async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            raw = writer.get_extra_info("socket")
            seen.append(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=listening)
        port = listening.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    asyncio.run(main())
    assert seen and seen[0] != 0
