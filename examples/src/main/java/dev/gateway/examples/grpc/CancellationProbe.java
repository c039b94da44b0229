package dev.gateway.examples.grpc;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the calls a server started, and those that ended cancelled rather than completed: the client cancelled, its deadline expired,
 * or its connection went away. A gateway test waits on it to see that a cancel on the client side reached the
 * server through the proxy, instead of sleeping and hoping.
 *
 * <p>The count goes up after the service's own cancel handler has run, so by then the call has let go of
 * whatever it held.
 */
public final class CancellationProbe implements ServerInterceptor {

    private final Object lock = new Object();
    private final AtomicInteger started = new AtomicInteger();
    private int cancelled;

    /** How many calls this server has started, cancelled or not: which server a load balancer chose. */
    public int started() {
        return started.get();
    }

    /** How many calls have been cancelled so far. */
    public int count() {
        synchronized (lock) {
            return cancelled;
        }
    }

    /** Waits until at least {@code atLeast} calls have been cancelled; false if {@code timeout} passed first. */
    public boolean await(int atLeast, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (cancelled < atLeast) {
                long leftNanos = deadline - System.nanoTime();
                if (leftNanos <= 0) {
                    return false;
                }
                lock.wait(Math.max(1, leftNanos / 1_000_000));
            }
            return true;
        }
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
                                                                 ServerCallHandler<ReqT, RespT> next) {
        started.incrementAndGet();
        return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
            @Override
            public void onCancel() {
                try {
                    super.onCancel();
                } finally {
                    increment();
                }
            }
        };
    }

    private void increment() {
        synchronized (lock) {
            cancelled++;
            lock.notifyAll();
        }
    }
}
