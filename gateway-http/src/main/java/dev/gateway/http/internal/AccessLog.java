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
 * One line per exchange on the {@code gateway.access} logger, when {@code access_logs.enabled} is set. The
 * setting, through {@link dev.gateway.http.HttpSettings#accessLog()}, is the one switch: it picks {@link #ON} or
 * {@link #OFF} once per connection, so a disabled access log costs one boolean check, and two gateways in one JVM
 * keep their own settings (a logger level would be shared by both). The logging configuration still decides where
 * the lines go.
 */
final class AccessLog {

    private static final Logger log = LoggerFactory.getLogger("gateway.access");

    static final AccessLog ON = new AccessLog(true);
    static final AccessLog OFF = new AccessLog(false);

    private final boolean enabled;

    private AccessLog(boolean enabled) {
        this.enabled = enabled;
    }

    /** The access log as {@code access_logs.enabled} says. */
    static AccessLog of(boolean enabled) {
        return enabled ? ON : OFF;
    }

    /** Logs what the client asked for (not the rewritten upstream request) and how it ended. */
    void exchange(Channel client, HttpMethod method, String uri, HttpVersion version, Route route,
            Target target, int status, long bytes, long startNanos, ProxyFailure failure) {
        if (!enabled || !log.isInfoEnabled()) {
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
