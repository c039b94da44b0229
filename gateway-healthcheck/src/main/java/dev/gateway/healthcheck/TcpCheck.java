package dev.gateway.healthcheck;

import dev.gateway.core.config.ApiDefinition.CheckCommand;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A TCP uptime check: connect (through a PROXY header and TLS when the {@link Checks.Endpoint} asks), then run
 * the {@code commands} in order. {@code send} writes its message's bytes as given (JSON's {@code "\r\n"} is
 * already CR LF by then). {@code expect} waits until the bytes received since the previous {@code expect}
 * contain its message, however many TCP segments they came in; bytes after the match are kept for the next
 * {@code expect}. With the commands done the host is healthy.
 *
 * <p>Where Tyk falls short, this check does not: Tyk's {@code expect} is one read with no deadline, so a reply
 * split across segments fails and a backend that never answers stalls every check. Here one deadline, the
 * check's timeout, bounds the whole run. Tyk's documented Redis example ends with {@code send "QUIT\r\n"} to a
 * server that may close at once: a {@code send} that fails once every {@code expect} has passed does not fail the
 * check, nor does the peer closing then.
 */
public final class TcpCheck extends EndpointCheck {

    /**
     * The most bytes kept while waiting for an {@code expect}. Beyond it the oldest bytes are dropped, all but
     * enough for the longest expected text to still match across the cut, so a chatty peer cannot grow the
     * buffer without bound. A health reply is far smaller (Redis's {@code INFO replication} is a few hundred
     * bytes).
     */
    static final int MAX_BUFFERED_BYTES = 64 * 1024;

    private final List<Step> steps;
    private final Duration timeout;
    /** The index of the last {@code expect}, -1 when there is none: sends after it may fail harmlessly. */
    private final int lastExpect;
    private final int longestExpect;

    /**
     * @param endpoint where to connect, and whether through a PROXY header or TLS
     * @param commands {@code send} and {@code expect} steps, run in order; none checks only that the host accepts
     *     a connection (and completes the TLS handshake)
     * @param timeout the deadline for the whole run
     * @throws IllegalArgumentException for a command that is neither {@code send} nor {@code expect}
     */
    public TcpCheck(Checks.Endpoint endpoint, List<CheckCommand> commands, Duration timeout) {
        super(endpoint);
        this.timeout = Checks.requirePositive(timeout);
        List<Step> parsed = new ArrayList<>(commands.size());
        for (CheckCommand command : commands) {
            parsed.add(Step.of(command));
        }
        this.steps = List.copyOf(parsed);
        int last = -1;
        int longest = 0;
        for (int i = 0; i < steps.size(); i++) {
            if (!steps.get(i).send()) {
                last = i;
                longest = Math.max(longest, steps.get(i).bytes().length);
            }
        }
        this.lastExpect = last;
        this.longestExpect = longest;
    }

    @Override
    CheckSession newSession(EventLoop loop, Promise<CheckResult> promise) {
        return new Script(loop, promise);
    }

    @Override
    public String toString() {
        return (endpoint.tls() == null ? "tcp://" : "tls://") + hostKey() + " (" + steps.size() + " commands)";
    }

    /** One command, its message encoded once. */
    private record Step(boolean send, String text, byte[] bytes) {
        static Step of(CheckCommand command) {
            String name = command.name() == null ? "" : command.name().trim().toLowerCase(Locale.ROOT);
            String text = command.message() == null ? "" : command.message();
            // UTF-8 keeps ASCII protocols byte for byte, and is what Go's []byte(string) gives Tyk.
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            return switch (name) {
                case "send" -> new Step(true, text, bytes);
                case "expect" -> new Step(false, text, bytes);
                default -> throw new IllegalArgumentException("command '" + command.name()
                        + "' is neither send nor expect");
            };
        }
    }

    /** One run of the commands on one connection. */
    private final class Script extends CheckSession {
        /** The next step to run; while the run waits, the {@code expect} it waits for. */
        private int next;
        /** Bytes received and not yet matched; allocated on the first read. */
        private ByteBuf received;
        /** The latest send's write, waited for before the connection closes. */
        private ChannelFuture lastWrite;

        Script(EventLoop loop, Promise<CheckResult> promise) {
            super(TcpCheck.this.endpoint, TcpCheck.this.timeout, loop, promise);
        }

        @Override
        void onReady(ChannelHandlerContext ctx) {
            advance(ctx);
        }

        /** Runs steps until one must wait for bytes, or none are left. */
        private void advance(ChannelHandlerContext ctx) {
            while (next < steps.size() && phase() != Phase.DONE) {
                Step step = steps.get(next);
                if (step.send()) {
                    send(ctx, step);
                    next++;
                } else if (consume(step.bytes())) {
                    next++;
                } else {
                    return;
                }
            }
            if (phase() != Phase.DONE) {
                whenWritten();
            }
        }

        private void send(ChannelHandlerContext ctx, Step step) {
            lastWrite = ctx.writeAndFlush(Unpooled.wrappedBuffer(step.bytes()));
            lastWrite.addListener(written -> {
                if (!written.isSuccess() && !expectsPassed()) {
                    finish(CheckResult.failed("send '" + Checks.printable(step.text()) + "' failed: "
                            + Checks.describe(written.cause())));
                }
            });
        }

        /** Every command has run: healthy once the last send has left (or failed harmlessly). */
        private void whenWritten() {
            if (lastWrite == null || lastWrite.isDone()) {
                finish(CheckResult.ok());
            } else {
                lastWrite.addListener(written -> finish(CheckResult.ok()));
            }
        }

        /** True once no {@code expect} is left to run. */
        private boolean expectsPassed() {
            return next > lastExpect;
        }

        /** Consumes the received bytes up to and including {@code expected}, if they hold it. */
        private boolean consume(byte[] expected) {
            if (expected.length == 0) {
                return true;
            }
            if (received == null) {
                return false;
            }
            int at = indexOf(received, expected);
            if (at < 0) {
                return false;
            }
            received.readerIndex(at + expected.length);
            received.discardSomeReadBytes();
            return true;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf bytes) || phase() == Phase.DONE) {
                ReferenceCountUtil.release(msg);
                return;
            }
            try {
                if (received == null) {
                    received = ctx.alloc().buffer();
                }
                received.writeBytes(bytes);
            } finally {
                bytes.release();
            }
            if (phase() == Phase.READY && next < steps.size()) {
                // advance() only ever stops at an expect, so this is the expect the run waits for.
                advance(ctx);
            }
            bound();
        }

        /** Drops the oldest unmatched bytes past {@link #MAX_BUFFERED_BYTES}; see there. */
        private void bound() {
            if (received != null && received.readableBytes() > MAX_BUFFERED_BYTES) {
                int keep = Math.max(longestExpect - 1, 0);
                received.skipBytes(received.readableBytes() - keep);
                received.discardReadBytes();
            }
        }

        @Override
        CheckResult onDeadline() {
            return expectsPassed() ? CheckResult.ok() : CheckResult.failed("timed out waiting for " + awaited());
        }

        @Override
        CheckResult onClosed() {
            return expectsPassed() ? CheckResult.ok()
                    : CheckResult.failed("connection closed before " + awaited() + " arrived");
        }

        @Override
        CheckResult onError(Throwable cause) {
            return expectsPassed() ? CheckResult.ok()
                    : CheckResult.failed("connection failed while waiting for " + awaited() + ": "
                            + Checks.describe(cause));
        }

        /** The text the run waits for, quoted for a failure reason. */
        private String awaited() {
            return "'" + Checks.printable(steps.get(next).text()) + "'";
        }

        @Override
        void release() {
            if (received != null) {
                received.release();
                received = null;
            }
        }
    }

    /** Where {@code needle} starts among the readable bytes of {@code haystack}, or -1. */
    static int indexOf(ByteBuf haystack, byte[] needle) {
        int last = haystack.writerIndex() - needle.length;
        candidates:
        for (int start = haystack.readerIndex(); start <= last; start++) {
            for (int i = 0; i < needle.length; i++) {
                if (haystack.getByte(start + i) != needle[i]) {
                    continue candidates;
                }
            }
            return start;
        }
        return -1;
    }
}
