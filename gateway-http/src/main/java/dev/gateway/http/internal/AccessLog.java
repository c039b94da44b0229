package dev.gateway.http.internal;

import dev.gateway.core.lb.Target;
import dev.gateway.core.net.ClientAddress;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.Route;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per exchange on the {@code gateway.access} logger, when {@code access_logs.enabled} is set (the
 * logger's level is the switch, so a disabled access log costs one boolean check).
 */
final class AccessLog {

    private static final Logger log = LoggerFactory.getLogger("gateway.access");

    private AccessLog() {
    }

    /** Logs what the client asked for (not the rewritten upstream request) and how it ended. */
    static void exchange(Channel client, HttpMethod method, String uri, HttpVersion version, Route route,
            Target target, int status, long bytes, long startNanos, ProxyFailure failure) {
        if (!log.isInfoEnabled()) {
            return;
        }
        long micros = (System.nanoTime() - startNanos) / 1000;
        log.info("client={} conn={} api={} \"{} {} {}\" status={} bytes={} upstream={} duration_ms={}.{}{}",
                ClientAddress.ip(client), client.id().asShortText(), route == null ? "-" : route.apiId(),
                method, uri, version, status, bytes,
                target == null ? "-" : target.raw(), micros / 1000, String.format("%03d", micros % 1000),
                failure == null ? "" : " error=" + failure.name());
    }
}
