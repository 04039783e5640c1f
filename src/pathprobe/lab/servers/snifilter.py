"""An SNI filter as a small transparent TCP proxy: the lab's reassembling censor, and the tests' censor.

It relays each client connection to its destination and watches the client's first bytes for the
server name of the TLS ClientHello. A listed name (or a subdomain of one) gets the ``action``:
``reset`` (a TCP reset to the client, the upstream closed) or ``drop`` (nothing more is relayed in
either direction, the connection held silent until the client gives up).

``mode`` says how the censor reads:

- ``reassemble``: like a DPI box with TCP and TLS reassembly. It buffers the client's bytes, joins TLS
  handshake records until the whole ClientHello is there (across TCP segments and TLS records) and
  only then reads the name and decides. Splitting the hello does not get past it.
- ``packet``: each chunk the client sends (each ``recv``: on loopback with TCP_NODELAY and a pause
  between writes, one TCP segment) is searched for a listed name's bytes on its own, as a per-packet
  string match does. The lab uses real kernel filters for this (``iptables -m string``); this mode is
  for the unit tests on loopback, without root.

In the lab it runs in pp-censor behind an nft ``redirect`` and finds each connection's destination
with ``SO_ORIGINAL_DST``; the tests give a fixed ``upstream``. Run as
``python -m pathprobe.lab.servers.snifilter --listen ADDR:PORT --mode reassemble --action reset
--host NAME [--host NAME ...]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Iterator, Sequence

MAX_HELLO = 64 * 1024
"""A ClientHello larger than this is not waited for: the censor lets the flow go (fails open)."""
SO_ORIGINAL_DST = 80


def hello_name(buf: bytes) -> tuple[bool, str | None]:
    """``(complete, name)`` from the client's first bytes: reassembles the ClientHello across TLS
    handshake records; ``complete`` False while more bytes are needed. A stream that is not TLS is
    complete with no name."""
    body = b""
    i = 0
    while True:
        if len(buf) < i + 5:
            break
        if buf[i] != 0x16:
            return True, None
        rlen = int.from_bytes(buf[i + 3 : i + 5], "big")
        if len(buf) < i + 5 + rlen:
            break
        body += buf[i + 5 : i + 5 + rlen]
        i += 5 + rlen
        if len(body) >= 4 and len(body) >= 4 + int.from_bytes(body[1:4], "big"):
            return True, _sni(body)
    if len(buf) > MAX_HELLO:
        return True, None
    return False, None


def _sni(hs: bytes) -> str | None:
    """The server name in a whole ClientHello handshake message (type, length, body)."""
    try:
        if hs[0] != 0x01:
            return None
        i = 4 + 2 + 32
        i += 1 + hs[i]
        i += 2 + int.from_bytes(hs[i : i + 2], "big")
        i += 1 + hs[i]
        end = i + 2 + int.from_bytes(hs[i : i + 2], "big")
        i += 2
        while i + 4 <= end:
            etype, elen = int.from_bytes(hs[i : i + 2], "big"), int.from_bytes(hs[i + 2 : i + 4], "big")
            if etype == 0 and hs[i + 6] == 0:
                nlen = int.from_bytes(hs[i + 7 : i + 9], "big")
                return hs[i + 9 : i + 9 + nlen].decode("ascii", "replace").lower()
            i += 4 + elen
    except IndexError:
        return None
    return None


def listed(name: str | None, hosts: Sequence[str]) -> bool:
    """Whether ``name`` is one of ``hosts`` or below one."""
    if not name:
        return False
    name = name.lower().rstrip(".")
    return any(name == h or name.endswith("." + h) for h in hosts)


class SniFilter:
    """The proxy (see the module). ``upstream`` None: each connection's original destination."""

    def __init__(self, hosts: Sequence[str], *, mode: str = "reassemble", action: str = "reset",
                 upstream: tuple[str, int] | None = None) -> None:
        if mode not in ("reassemble", "packet") or action not in ("reset", "drop"):
            raise ValueError("mode is reassemble or packet, action reset or drop")
        self.hosts = [h.lower().rstrip(".") for h in hosts]
        self.needles = [h.encode("ascii") for h in self.hosts]
        self.mode = mode
        self.action = action
        self.upstream = upstream
        self.held: list[asyncio.StreamWriter] = []
        self.verdicts: list[tuple[str | None, bool]] = []
        """What it decided, in order: (the name it read, or None in packet mode; blocked)."""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection."""
        up_w: asyncio.StreamWriter | None = None
        try:
            dest = self.upstream or _original_dst(writer)
            up_r, up_w = await asyncio.open_connection(*dest)
            if self.mode == "reassemble":
                buf = b""
                while True:
                    chunk = await reader.read(65536)
                    if not chunk:
                        return
                    buf += chunk
                    done, name = hello_name(buf)
                    if done:
                        break
                blocked = listed(name, self.hosts)
                self.verdicts.append((name, blocked))
                if blocked:
                    await self._act(writer, up_w)
                    return
                up_w.write(buf)
            await asyncio.gather(self._client_to_up(reader, up_w, writer), self._pipe(up_r, writer))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            if up_w is not None:
                up_w.close()
            if writer not in self.held:
                writer.close()

    async def _client_to_up(self, reader: asyncio.StreamReader, up_w: asyncio.StreamWriter,
                            writer: asyncio.StreamWriter) -> None:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                up_w.close()
                return
            if self.mode == "packet" and any(n in chunk for n in self.needles):
                self.verdicts.append((None, True))
                await self._act(writer, up_w)
                return
            up_w.write(chunk)
            await up_w.drain()

    async def _act(self, writer: asyncio.StreamWriter, up_w: asyncio.StreamWriter) -> None:
        up_w.close()
        sock = writer.get_extra_info("socket")
        if self.action != "drop":  # reset
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return
        self.held.append(writer)  # silence: keep it open, relay nothing
        await asyncio.sleep(3600)

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        """Upstream to the client, until either ends or the flow is silenced."""
        while True:
            chunk = await r.read(65536)
            if w in self.held:
                return
            if not chunk:
                w.close()
                return
            w.write(chunk)
            await w.drain()


def _original_dst(writer: asyncio.StreamWriter) -> tuple[str, int]:
    sock = writer.get_extra_info("socket")
    raw = sock.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
    port = int.from_bytes(raw[2:4], "big")
    return socket.inet_ntoa(raw[4:8]), port


@contextlib.contextmanager
def running(flt: SniFilter, host: str = "127.0.0.1") -> Iterator[int]:
    """Run ``flt`` on ``host`` (a free port) in a thread of its own; yields the port (for tests)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    port: list[int] = []
    stop: list[asyncio.Event] = []

    async def main() -> None:
        server = await asyncio.start_server(flt.handle, host, 0)
        port.append(server.sockets[0].getsockname()[1])
        stop.append(asyncio.Event())
        ready.set()
        async with server:
            await stop[0].wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield port[0]
    finally:

        def end() -> None:
            for w in flt.held:
                w.transport.abort()
            stop[0].set()

        loop.call_soon_threadsafe(end)
        thread.join(5)


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until killed (the lab's reassembling censor)."""
    ap = argparse.ArgumentParser(prog="snifilter")
    ap.add_argument("--listen", required=True, help="ADDR:PORT")
    ap.add_argument("--mode", default="reassemble", choices=("reassemble", "packet"))
    ap.add_argument("--action", default="reset", choices=("reset", "drop"))
    ap.add_argument("--host", action="append", default=[])
    args = ap.parse_args(argv)
    addr, _, port = args.listen.rpartition(":")
    flt = SniFilter(args.host, mode=args.mode, action=args.action)

    async def serve() -> None:
        server = await asyncio.start_server(flt.handle, addr, int(port), reuse_address=True)
        print(f"snifilter listening on {args.listen}", flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
