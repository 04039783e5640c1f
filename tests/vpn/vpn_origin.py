"""Test helper run inside the test namespace: HTTPS origins and a TCP echo server.

Usage: python vpn_origin.py CONFIG.json — config: {"tls": [{"port", "cert", "key"}], "echo": [port]}.
Prints "ready" once every port listens; stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import signal
import ssl
import sys


async def _https(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
        pass
    finally:
        writer.close()


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def main(config: dict) -> None:
    servers = []
    for t in config.get("tls", []):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(t["cert"], t["key"])
        servers.append(await asyncio.start_server(_https, "127.0.0.1", t["port"], ssl=ctx))
    for port in config.get("echo", []):
        servers.append(await asyncio.start_server(_echo, "127.0.0.1", port))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    for s in servers:
        s.close()


if __name__ == "__main__":
    with open(sys.argv[1]) as fh:
        asyncio.run(main(json.load(fh)))
