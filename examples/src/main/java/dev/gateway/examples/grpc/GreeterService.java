package dev.gateway.examples.grpc;

import dev.gateway.examples.grpc.helloworld.GreeterGrpc;
import dev.gateway.examples.grpc.helloworld.HelloReply;
import dev.gateway.examples.grpc.helloworld.HelloRequest;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The helloworld Greeter: {@code SayHello} answers {@code "Hello " + name}. Two names ask for what a gateway
 * test needs:
 *
 * <ul>
 *   <li>{@code slow:<ms>}, e.g. {@code slow:500}: the same reply after that many milliseconds, for deadline and
 *       cancellation tests. The wait is a task on a scheduler, not a sleeping gRPC thread, and a cancelled call
 *       (client cancel or expired deadline) cancels the task.</li>
 *   <li>{@code fail}: {@code INVALID_ARGUMENT} "bad name" with the trailers {@code x-detail: why} and
 *       {@code x-detail-bin: 01 02 03}, to check that a status and its ASCII and binary trailers pass
 *       through unchanged.</li>
 * </ul>
 *
 * <p>{@link #bindService()} also echoes the {@code x-echo} request header ({@link EchoMetadataInterceptor}).
 */
public final class GreeterService implements GreeterGrpc.AsyncService, BindableService {

    /** Prefix of a name that delays the reply; the rest is the delay in milliseconds. */
    public static final String SLOW_PREFIX = "slow:";

    /** The name that fails the call with {@link #FAIL_STATUS}. */
    public static final String FAIL_NAME = "fail";

    /** What {@link #FAIL_NAME} answers. */
    public static final Status FAIL_STATUS = Status.INVALID_ARGUMENT.withDescription("bad name");

    /** ASCII trailer sent with {@link #FAIL_STATUS}, value {@code why}. */
    public static final Metadata.Key<String> DETAIL = Metadata.Key.of("x-detail", Metadata.ASCII_STRING_MARSHALLER);

    /** Binary trailer sent with {@link #FAIL_STATUS}, value {@code {1, 2, 3}}; base64 on the wire. */
    public static final Metadata.Key<byte[]> DETAIL_BIN =
            Metadata.Key.of("x-detail-bin", Metadata.BINARY_BYTE_MARSHALLER);

    /** Longest {@code slow:} delay: a minute outlasts any test deadline, and bounds what a typo can hold. */
    public static final long MAX_DELAY_MS = 60_000;

    private final ScheduledExecutorService scheduler;

    /** A Greeter whose {@code slow:} replies run on {@code scheduler}, which the caller owns and shuts down. */
    public GreeterService(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
    }

    @Override
    public ServerServiceDefinition bindService() {
        return ServerInterceptors.intercept(GreeterGrpc.bindService(this), new EchoMetadataInterceptor());
    }

    @Override
    public void sayHello(HelloRequest request, StreamObserver<HelloReply> responseObserver) {
        String name = request.getName();
        if (FAIL_NAME.equals(name)) {
            responseObserver.onError(failure());
            return;
        }
        HelloReply reply = HelloReply.newBuilder().setMessage("Hello " + name).build();
        if (name.startsWith(SLOW_PREFIX)) {
            long delayMs = parseDelay(name.substring(SLOW_PREFIX.length()));
            if (delayMs < 0) {
                responseObserver.onError(Status.INVALID_ARGUMENT
                        .withDescription(SLOW_PREFIX + " needs a delay of 0.." + MAX_DELAY_MS + " ms")
                        .asRuntimeException());
                return;
            }
            replyLater((ServerCallStreamObserver<HelloReply>) responseObserver, reply, delayMs);
            return;
        }
        responseObserver.onNext(reply);
        responseObserver.onCompleted();
    }

    /** gRPC's quick-start second method: "Hello again", so a test can tell which method answered a call. */
    @Override
    public void sayHelloAgain(HelloRequest request, StreamObserver<HelloReply> responseObserver) {
        responseObserver.onNext(HelloReply.newBuilder().setMessage("Hello again " + request.getName()).build());
        responseObserver.onCompleted();
    }

    private void replyLater(ServerCallStreamObserver<HelloReply> call, HelloReply reply, long delayMs) {
        // The handler is set before the task exists, so it never races the task on the observer; gRPC runs it
        // only after this method has returned, by when the task is in place.
        AtomicReference<ScheduledFuture<?>> pending = new AtomicReference<>();
        call.setOnCancelHandler(() -> pending.get().cancel(false));
        pending.set(scheduler.schedule(() -> {
            if (!call.isCancelled()) {
                call.onNext(reply);
                call.onCompleted();
            }
        }, delayMs, TimeUnit.MILLISECONDS));
    }

    private static StatusRuntimeException failure() {
        Metadata trailers = new Metadata();
        trailers.put(DETAIL, "why");
        trailers.put(DETAIL_BIN, new byte[] {1, 2, 3});
        return FAIL_STATUS.asRuntimeException(trailers);
    }

    /** The delay in [0, MAX_DELAY_MS], or -1 when it is not such a number. */
    private static long parseDelay(String value) {
        try {
            long delayMs = Long.parseLong(value);
            return delayMs >= 0 && delayMs <= MAX_DELAY_MS ? delayMs : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
