package dev.gateway.core.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.epoll.Native;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Zero-copy relaying with native epoll: bytes move from one socket to the other through a kernel pipe
 * ({@code splice(2)}) and never enter the JVM. Only plain TCP on both sides qualifies; TLS needs the bytes.
 *
 * <p><b>A Netty 4.2 workaround.</b> When a channel's epoll interest becomes empty (no read wanted, nothing to
 * write, its peer's FIN seen), Netty removes the socket from epoll but still believes it registered, so the next
 * read request fails ({@code epoll_ctl(MOD)}: ENOENT) and Netty closes the channel, dropping whatever was still
 * unread. A spliced side reaches that state whenever its FIN arrives while its peer is behind. Splicing
 * therefore keeps {@code EPOLLERR} in the interest set, which the kernel reports anyway, so the set is never
 * empty. That takes Netty's protected {@code setFlag}; where it is unreachable, relays copy instead.
 */
final class Splice {

    private static final Logger log = LoggerFactory.getLogger(Splice.class);
    private static final MethodHandle SET_FLAG = setFlagHandle();

    private Splice() {
    }

    /** Whether bytes from {@code from} can be spliced to {@code to}: both are native epoll TCP connections. */
    static boolean supported(Channel from, Channel to) {
        return SET_FLAG != null && from instanceof AbstractEpollStreamChannel
                && to instanceof AbstractEpollStreamChannel;
    }

    /**
     * Splices the next {@code bytes} that {@code from} receives to {@code to}, with auto-read on: the transport
     * then reads {@code from} only while {@code to} keeps up, so at most a pipe's worth (64 KiB) waits in between.
     * Once they are through, {@code from} is read as usual again. The future completes when the last of them is
     * written, and fails when either side fails or closes.
     */
    @SuppressWarnings("deprecation") // Netty 4.2 keeps spliceTo, deprecated, with no replacement yet
    static ChannelFuture start(Channel from, Channel to, int bytes) {
        ChannelFuture splicing = ((AbstractEpollStreamChannel) from).spliceTo((AbstractEpollStreamChannel) to,
                bytes);
        from.config().setAutoRead(true);
        return splicing;
    }

    /**
     * Keeps an epoll channel registered even when it wants no event for a while (see above); does nothing for
     * other transports. Call on the channel's event loop, before it may stop reading after its peer's FIN.
     */
    static void keepRegistered(Channel channel) {
        if (SET_FLAG == null || !(channel instanceof AbstractEpollStreamChannel)) {
            return;
        }
        try {
            SET_FLAG.invokeExact(channel, Native.EPOLLERR);
        } catch (Throwable e) {
            // The channel is closing (epoll_ctl failed): the splice that follows fails and ends the relay.
            log.debug("could not pin EPOLLERR on {}", channel, e);
        }
    }

    private static MethodHandle setFlagHandle() {
        try {
            Class<?> epollChannel = Class.forName("io.netty.channel.epoll.AbstractEpollChannel");
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(epollChannel, MethodHandles.lookup());
            return lookup.findVirtual(epollChannel, "setFlag", MethodType.methodType(void.class, int.class))
                    .asType(MethodType.methodType(void.class, Channel.class, int.class));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            log.info("TCP relays copy instead of splicing: {}", e.toString());
            return null;
        }
    }
}
