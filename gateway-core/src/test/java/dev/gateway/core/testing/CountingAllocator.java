package dev.gateway.core.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;

/**
 * An allocator that knows how many of its bytes are still held. Paranoid leak detection finds a leak only after
 * the garbage collector has run, long after the input that caused it; a fuzz test gives a channel this allocator
 * and asserts {@link #inUse()} is 0 after each input, so the fuzzer reports the very input that leaked.
 */
public final class CountingAllocator {

    private final UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(false);

    /** Makes the channel's handlers allocate here; returns the channel. */
    public <C extends Channel> C install(C channel) {
        channel.config().setAllocator(allocator);
        return channel;
    }

    /** A buffer from this allocator holding a copy of the bytes, as a read from the socket would be. */
    public ByteBuf copyOf(byte[] bytes) {
        return allocator.heapBuffer(bytes.length).writeBytes(bytes);
    }

    /** The allocator itself, for code that takes one. */
    public ByteBufAllocator allocator() {
        return allocator;
    }

    /** Bytes allocated here and not yet released, heap and direct. */
    public long inUse() {
        return allocator.metric().usedHeapMemory() + allocator.metric().usedDirectMemory();
    }
}
