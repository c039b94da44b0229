#!/usr/bin/env python3
"""Holds many idle HTTP connections to one server, each after one completed request: bench/idle-memory.sh's client.

    python3 bench/idle_client.py h1|h2 HOST PORT PATH COUNT [CONCURRENCY]

Opens COUNT connections, at most CONCURRENCY (default 200) being set up at once. On each it sends one GET for PATH
and reads the whole response: HTTP/1.1 with keep-alive, or HTTP/2 over cleartext with prior knowledge (h2c: the
preface, SETTINGS, one HEADERS frame on stream 1). The connection then stays open and silent, as a client between
two requests leaves it. Prints "open COUNT seconds S" once every response is in, then holds the connections until
standard input ends, and prints "held COUNT closed_early K": K of them were closed by the server meanwhile (or sent
an HTTP/2 GOAWAY). Over HTTP/2 it answers the server's SETTINGS and PINGs, as a live client does.

Only the standard library: asyncio holds the sockets, the HTTP/2 frames are written and read by hand. The status of
every response must be 200 (HTTP/2: the first header of the response block must be the static table's ":status:
200"); anything else, or a connection that fails while opening, ends the run with exit status 1.
"""

import asyncio
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
# Frame types and flags (RFC 9113, section 6).
DATA, HEADERS, SETTINGS, PING, GOAWAY = 0x0, 0x1, 0x4, 0x6, 0x7
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
# HPACK (RFC 7541, appendix A): static table index 8 is ":status: 200", written as one indexed field 0x88.
STATUS_200 = 0x88
# A response head larger than this is not what the benchmark's upstream sends.
MAX_HEAD = 16384
# Seconds a connect and its one exchange may take before the run fails.
TIMEOUT = 30


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def hpack_literal(index, value):
    """A literal header field without indexing whose name is static table entry INDEX (< 15)."""
    data = value.encode()
    if len(data) >= 127:
        raise ValueError("header value too long for this encoder")
    return bytes([index, len(data)]) + data


def h2_request(host, port, path):
    # :method GET (2) and :scheme http (6) are indexed; :path (4) and :authority (1) literal.
    block = bytes([0x82, 0x86]) + hpack_literal(4, path) + hpack_literal(1, f"{host}:{port}")
    return PREFACE + frame(SETTINGS, 0, 0) + frame(HEADERS, END_STREAM | END_HEADERS, 1, block)


async def read_frame(reader):
    head = await reader.readexactly(9)
    length = int.from_bytes(head[:3], "big")
    return head[3], head[4], int.from_bytes(head[5:9], "big") & 0x7FFFFFFF, await reader.readexactly(length)


async def h2_answer(writer, kind, flags, payload):
    """Acknowledges the server's SETTINGS and PINGs. Returns whether the frame was a GOAWAY."""
    if kind == SETTINGS and not flags & ACK:
        writer.write(frame(SETTINGS, ACK, 0))
    elif kind == PING and not flags & ACK:
        writer.write(frame(PING, ACK, 0, payload))
    return kind == GOAWAY


async def h2_exchange(reader, writer, host, port, path):
    writer.write(h2_request(host, port, path))
    await writer.drain()
    status_ok = None
    while True:
        kind, flags, stream, payload = await read_frame(reader)
        if await h2_answer(writer, kind, flags, payload):
            raise ConnectionError("GOAWAY before the response ended")
        if stream != 1:
            continue
        if kind == HEADERS and status_ok is None:
            # No padding or priority is expected from the server; the response's first field is its status.
            status_ok = bool(payload) and payload[0] == STATUS_200
            if not status_ok:
                raise ConnectionError(f"response status is not 200 (header block starts {payload[:8].hex()})")
        if kind in (HEADERS, DATA) and flags & END_STREAM:
            return


async def h1_exchange(reader, writer, host, port, path):
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: idle_client\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > MAX_HEAD:
        raise ConnectionError("response head too large")
    lines = head.decode("latin-1").split("\r\n")
    if lines[0].split(" ")[1:2] != ["200"]:
        raise ConnectionError(f"response status line: {lines[0]!r}")
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
        elif name.strip().lower() == "connection" and "close" in value.lower():
            raise ConnectionError("the server will close the connection (Connection: close)")
    if length is None:
        raise ConnectionError("response without Content-Length")
    await reader.readexactly(length)


async def hold(reader, writer, protocol, closed):
    """Reads whatever the server sends while the connection idles; notes when the server ends it."""
    try:
        while True:
            if protocol == "h2":
                kind, flags, _, payload = await read_frame(reader)
                if await h2_answer(writer, kind, flags, payload):
                    break
            elif not await reader.read(4096):
                break
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    except asyncio.CancelledError:
        return
    closed.append(1)


async def open_one(protocol, host, port, path, gate, holders, closed):
    async with gate:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), TIMEOUT)
        exchange = h2_exchange if protocol == "h2" else h1_exchange
        await asyncio.wait_for(exchange(reader, writer, host, port, path), TIMEOUT)
    holders.append((writer, asyncio.create_task(hold(reader, writer, protocol, closed))))


async def main(protocol, host, port, path, count, concurrency):
    gate = asyncio.Semaphore(concurrency)
    holders, closed = [], []
    start = time.monotonic()
    results = await asyncio.gather(*(open_one(protocol, host, port, path, gate, holders, closed)
                                     for _ in range(count)), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        print(f"{len(failures)} of {count} connections failed; the first: {failures[0]!r}", file=sys.stderr)
        return 1
    print(f"open {count} seconds {time.monotonic() - start:.1f}", flush=True)
    # Held until standard input ends (the script closes its end of a FIFO), read off the event loop.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)
    early = len(closed)
    for writer, task in holders:
        task.cancel()
        writer.close()
    await asyncio.gather(*(task for _, task in holders), return_exceptions=True)
    print(f"held {count} closed_early {early}", flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) not in (6, 7) or sys.argv[1] not in ("h1", "h2"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]),
                              int(sys.argv[6]) if len(sys.argv) == 7 else 200)))
