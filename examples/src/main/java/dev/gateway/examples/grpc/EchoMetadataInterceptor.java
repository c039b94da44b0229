package dev.gateway.examples.grpc;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.TimeUnit;

/**
 * Sends a request's {@code x-echo} header back twice: as the response header {@code x-echo} and as the trailer
 * {@code x-echo-trailer}. A test sets it to check that custom metadata crosses the gateway in both directions, and
 * that trailers still arrive after the last message.
 *
 * <p>A call that fails before sending any message answers trailers-only: there is no separate header block, so
 * only {@code x-echo-trailer} comes back.
 */
public final class EchoMetadataInterceptor implements ServerInterceptor {

    /** The request header to echo, and the response header it comes back as. */
    public static final Metadata.Key<String> ECHO = Metadata.Key.of("x-echo", Metadata.ASCII_STRING_MARSHALLER);

    /** A binary request header, echoed as the same response header: {@code -bin} values cross base64-encoded. */
    public static final Metadata.Key<byte[]> ECHO_BIN =
            Metadata.Key.of("x-echo-bin", Metadata.BINARY_BYTE_MARSHALLER);

    /** The trailer the same value comes back as. */
    public static final Metadata.Key<String> ECHO_TRAILER =
            Metadata.Key.of("x-echo-trailer", Metadata.ASCII_STRING_MARSHALLER);

    /**
     * The trailer that tells how many milliseconds of its deadline the call had left when the server started it:
     * proof that {@code grpc-timeout} crossed a proxy. Absent when the call has no deadline.
     */
    public static final Metadata.Key<String> DEADLINE_TRAILER =
            Metadata.Key.of("x-deadline-ms", Metadata.ASCII_STRING_MARSHALLER);

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
                                                                 ServerCallHandler<ReqT, RespT> next) {
        String echo = headers.get(ECHO);
        byte[] echoBin = headers.get(ECHO_BIN);
        Deadline deadline = Context.current().getDeadline();
        if (echo == null && echoBin == null && deadline == null) {
            return next.startCall(call, headers);
        }
        String leftMillis = deadline == null ? null : String.valueOf(deadline.timeRemaining(TimeUnit.MILLISECONDS));
        return next.startCall(new SimpleForwardingServerCall<>(call) {
            @Override
            public void sendHeaders(Metadata responseHeaders) {
                if (echo != null) {
                    responseHeaders.put(ECHO, echo);
                }
                if (echoBin != null) {
                    responseHeaders.put(ECHO_BIN, echoBin);
                }
                super.sendHeaders(responseHeaders);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                if (echo != null) {
                    trailers.put(ECHO_TRAILER, echo);
                }
                if (leftMillis != null) {
                    trailers.put(DEADLINE_TRAILER, leftMillis);
                }
                super.close(status, trailers);
            }
        }, headers);
    }
}
