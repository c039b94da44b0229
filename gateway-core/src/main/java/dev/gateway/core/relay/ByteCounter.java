package dev.gateway.core.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * A channel's read-buffer allocator that also counts what the channel reads. The transport reports every read
 * to its allocator's handle, spliced reads too, which never become a {@link ByteBuf}: this is how a spliced
 * relay still knows its byte counts and whether it is idle.
 *
 * <p>One instance per channel, installed before the channel's first read (the transport creates the handle
 * then and keeps it).
 */
final class ByteCounter implements RecvByteBufAllocator {

    private final RecvByteBufAllocator delegate;
    private long total;
    private long thisRound;

    ByteCounter(RecvByteBufAllocator delegate) {
        this.delegate = delegate;
    }

    /** Every byte the channel has read so far. */
    long total() {
        return total;
    }

    /** The bytes of the channel's current (or last) read round, one wake-up of its event loop. */
    long thisRound() {
        return thisRound;
    }

    @Override
    public Handle newHandle() {
        return new Counting((ExtendedHandle) delegate.newHandle());
    }

    @SuppressWarnings("deprecation") // Netty's transports still call the Handle methods
    private final class Counting implements ExtendedHandle {
        private final ExtendedHandle delegate;

        Counting(ExtendedHandle delegate) {
            this.delegate = delegate;
        }

        @Override
        public void lastBytesRead(int bytes) {
            if (bytes > 0) {
                total += bytes;
                thisRound += bytes;
            }
            delegate.lastBytesRead(bytes);
        }

        @Override
        public void reset(ChannelConfig config) {
            thisRound = 0;
            delegate.reset(config);
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            return delegate.allocate(alloc);
        }

        @Override
        public int guess() {
            return delegate.guess();
        }

        @Override
        public void incMessagesRead(int numMessages) {
            delegate.incMessagesRead(numMessages);
        }

        @Override
        public int lastBytesRead() {
            return delegate.lastBytesRead();
        }

        @Override
        public void attemptedBytesRead(int bytes) {
            delegate.attemptedBytesRead(bytes);
        }

        @Override
        public int attemptedBytesRead() {
            return delegate.attemptedBytesRead();
        }

        @Override
        public boolean continueReading() {
            return delegate.continueReading();
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return delegate.continueReading(maybeMoreDataSupplier);
        }

        @Override
        public void readComplete() {
            delegate.readComplete();
        }
    }
}
