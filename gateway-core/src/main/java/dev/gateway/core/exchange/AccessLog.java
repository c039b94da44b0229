package dev.gateway.core.exchange;

import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log: one line per ended exchange on the {@code gateway.access} logger, for HTTP, WebSocket and TCP
 * alike; an event stream's line is its request's, written when the stream ends. It is a listener like any other,
 * present only when {@code access_logs.enabled} is set; the logging configuration decides where its lines go, not
 * whether there are any.
 *
 * <pre>
 * client=10.0.0.7 conn=2ab6fdce api=demo "GET /demo/hello HTTP/1.1" status=200 bytes=208 upstream=http://127.0.0.1:9001/ duration_ms=27.048
 * client=10.0.0.7 conn=51b0c3a2 api=- "GET /nowhere HTTP/1.1" status=404 bytes=26 upstream=- duration_ms=0.412 error=NO_ROUTE
 * client=10.0.0.7 conn=96eba1b4/1 api=greeter "POST /helloworld.Greeter/SayHello HTTP/2.0" status=200 grpc_status=0 bytes=16 upstream=h2c://127.0.0.1:50051 duration_ms=1.904
 * client=10.0.0.7 conn=9e2d11f0 api=ws-echo websocket "/ws/" bytes_in=18 bytes=18 upstream=ws://127.0.0.1:9003 duration_ms=2004.110
 * client=10.0.0.7 conn=77c1aa09 api=tcp-echo tcp bytes_in=6 bytes=6 upstream=tcp://127.0.0.1:9004 duration_ms=12.904 end=DONE
 * </pre>
 */
public final class AccessLog implements ExchangeListener {

    private static final Logger log = LoggerFactory.getLogger("gateway.access");

    @Override
    public void onEnd(ExchangeRecord record) {
        if (!log.isInfoEnabled()) {
            return;
        }
        long micros = TimeUnit.NANOSECONDS.toMicros(record.durationNanos());
        String client = record.client() == null ? "unknown"
                : record.client().getAddress() != null ? record.client().getAddress().getHostAddress()
                : record.client().getHostString();
        String api = record.apiId().isEmpty() ? "-" : record.apiId();
        String upstream = record.upstream().isEmpty() ? "-" : record.upstream();
        String duration = micros / 1000 + "." + String.format("%03d", micros % 1000);
        switch (record.kind()) {
            case PROXIED, LOCAL, EVENT_STREAM -> log.info("client={} conn={} api={} \"{} {} {}\" status={}{} bytes={}"
                    + " upstream={} duration_ms={}{}", client, record.connectionId(), api, record.method(),
                    record.target(), record.protocol(), record.status(),
                    record.grpcStatus() < 0 ? "" : " grpc_status=" + record.grpcStatus(), record.bytesToClient(),
                    upstream, duration, record.outcome().isEmpty() ? "" : " error=" + record.outcome());
            case WEBSOCKET, TCP -> log.info("client={} conn={} api={} {}{} bytes_in={} bytes={} upstream={}"
                    + " duration_ms={}{}", client, record.connectionId(), api,
                    record.kind() == ExchangeRecord.Kind.TCP ? "tcp" : "websocket",
                    record.target().isEmpty() ? "" : " \"" + record.target() + "\"", record.bytesFromClient(),
                    record.bytesToClient(), upstream, duration,
                    record.outcome().isEmpty() ? "" : " end=" + record.outcome());
        }
    }
}
