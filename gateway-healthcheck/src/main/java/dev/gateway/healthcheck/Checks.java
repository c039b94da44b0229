package dev.gateway.healthcheck;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.ApiDefinition.UptimeCheck;
import dev.gateway.core.lb.Target;
import dev.gateway.core.tls.TlsContexts;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * Turns one {@code uptime_tests.check_list} entry into the {@link HostCheck} that runs it, and holds what the
 * two kinds of check share: where a check connects ({@link Endpoint}) and the life of one run on one connection
 * ({@link Session}: connect, PROXY header, TLS handshake, one deadline, exactly one outcome, the connection
 * closed).
 *
 * <p>Which kind a check is, in order:
 * <ol>
 *   <li>The check's {@code protocol}, when set, wins: {@code http} or {@code https} is an HTTP check,
 *       {@code tcp} a plain TCP check and {@code tls} a TCP check over TLS. (Tyk lets it replace the URL's
 *       scheme too.)</li>
 *   <li>Otherwise the URL's scheme: {@code tcp://} and {@code tls://} are TCP checks; {@code http://} and
 *       {@code https://} are HTTP checks, except on a {@code tcp} or {@code tls} API when the check has
 *       {@code commands}, which only a TCP check can run.</li>
 *   <li>A bare {@code host:port} (Tyk's documented TCP example) is a plain TCP check when the check has
 *       {@code commands} or the API is a {@code tcp} or {@code tls} API; on an HTTP API it is rejected, as there
 *       is no telling which scheme was meant.</li>
 * </ol>
 * TLS is used only when the kind says so ({@code https}, or {@code tls} by protocol or scheme), never because the
 * API itself is a {@code tls} API: the upstream behind a TLS listener often speaks plain TCP. Certificates are
 * verified unless the API sets {@code proxy.transport.ssl_insecure_skip_verify}.
 */
public final class Checks {

    /**
     * The timeout of a check that names none: Tyk's host checker client gives an HTTP check 500 ms (and a TCP
     * check no limit at all, which lets one hung backend stall the checker; here every check has one).
     */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(500);

    private static final Set<String> KNOWN_SCHEMES = Set.of("http", "https", "tcp", "tls");

    private Checks() {
    }

    /**
     * The check for one {@code check_list} entry, resolving host names with Netty's default resolver (the JDK's,
     * which may block the event loop on a DNS lookup; IP literals and {@code /etc/hosts} names do not). Prefer
     * {@link #of(ApiDefinition, UptimeCheck, TlsContexts, Class, AddressResolverGroup)} with
     * {@code Transport.newResolverGroup()}.
     *
     * @throws IllegalArgumentException when the check cannot run (no URL, unknown scheme, no port...)
     */
    public static HostCheck of(ApiDefinition api, UptimeCheck check, TlsContexts tls,
            Class<? extends Channel> channelClass) {
        return of(api, check, tls, channelClass, null);
    }

    /**
     * The check for one {@code check_list} entry.
     *
     * @param tls client contexts, used when the check speaks TLS
     * @param channelClass the socket channel class of the event loops the check will run on
     * @param resolver resolves host names on the check's event loop; {@code null} for Netty's default
     * @throws IllegalArgumentException when the check cannot run, with a message naming the API and the URL
     */
    public static HostCheck of(ApiDefinition api, UptimeCheck check, TlsContexts tls,
            Class<? extends Channel> channelClass, AddressResolverGroup<?> resolver) {
        String url = check.url() == null ? "" : check.url().trim();
        try {
            return build(api, check, url, tls, channelClass, resolver);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("API " + api.label() + ": uptime check '" + url + "' cannot run: "
                    + e.getMessage(), e);
        }
    }

    private static HostCheck build(ApiDefinition api, UptimeCheck check, String url, TlsContexts tls,
            Class<? extends Channel> channelClass, AddressResolverGroup<?> resolver) {
        if (url.isEmpty()) {
            throw new IllegalArgumentException("it has no url");
        }
        int separator = url.indexOf("://");
        String urlScheme = separator < 0 ? "" : url.substring(0, separator).toLowerCase(Locale.ROOT);
        String address = separator < 0 ? url : url.substring(separator + 3);
        String kind = kind(api, check, urlScheme);
        Duration timeout = CheckTimeouts.parse(check.timeout(), DEFAULT_TIMEOUT);
        boolean insecure = api.proxy().transport().sslInsecureSkipVerify();
        if (kind.equals("http") || kind.equals("https")) {
            Target target = Target.parse(kind + "://" + address);
            Endpoint endpoint = new Endpoint(target, kind.equals("https") ? clientTls(tls, insecure) : null,
                    check.enableProxyProtocol(), channelClass, resolver);
            return new HttpCheck(endpoint, check.method(), check.headers(), body(check.body()), timeout);
        }
        // The port comes from the URL as written: an http:// URL run as a TCP check keeps port 80.
        Target target = Target.parse((urlScheme.isEmpty() ? "tcp" : urlScheme) + "://" + address);
        Endpoint endpoint = new Endpoint(target, kind.equals("tls") ? clientTls(tls, insecure) : null,
                check.enableProxyProtocol(), channelClass, resolver);
        return new TcpCheck(endpoint, check.commands(), timeout);
    }

    /** {@code http}, {@code https}, {@code tcp} or {@code tls}, by the rules in the class comment. */
    private static String kind(ApiDefinition api, UptimeCheck check, String urlScheme) {
        String protocol = check.protocol() == null ? "" : check.protocol().trim().toLowerCase(Locale.ROOT);
        if (!protocol.isEmpty()) {
            if (!KNOWN_SCHEMES.contains(protocol)) {
                throw new IllegalArgumentException("protocol '" + protocol + "' is not http, https, tcp or tls");
            }
            return protocol;
        }
        boolean tcpApi = api.protocol().equals("tcp") || api.protocol().equals("tls");
        boolean scripted = !check.commands().isEmpty();
        switch (urlScheme) {
            case "tcp", "tls":
                return urlScheme;
            case "http", "https":
                return tcpApi && scripted ? "tcp" : urlScheme;
            case "":
                if (tcpApi || scripted) {
                    return "tcp";
                }
                throw new IllegalArgumentException("the url has no scheme: write http://host:port for an HTTP"
                        + " check, or set protocol tcp (or give commands) for a TCP check");
            default:
                throw new IllegalArgumentException("scheme '" + urlScheme + "' is not http, https, tcp or tls");
        }
    }

    private static SslContext clientTls(TlsContexts tls, boolean insecure) {
        return Objects.requireNonNull(tls, "a TLS check needs client TLS contexts").client(insecure);
    }

    /**
     * An HTTP check's body as bytes. Tyk stores it base64-encoded; a body that is not valid base64 was written
     * by hand and is sent as it is, in UTF-8. (A plain word that happens to be valid base64 is decoded: the
     * stored form wins.)
     */
    static byte[] body(String body) {
        if (body == null || body.isEmpty()) {
            return new byte[0];
        }
        try {
            return Base64.getDecoder().decode(body.trim());
        } catch (IllegalArgumentException notBase64) {
            return body.getBytes(StandardCharsets.UTF_8);
        }
    }

    /** {@code timeout}, when it is positive; a check without a deadline is what this module exists to avoid. */
    static Duration requirePositive(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        return timeout;
    }

    /**
     * Where and how a check connects.
     *
     * @param target the host and port; its scheme is not read here
     * @param tls the client context when the check speaks TLS (SNI and verification name the target's host),
     *     {@code null} for plain TCP
     * @param proxyProtocol write a PROXY protocol v1 header first, before TLS, as a load balancer in front of the
     *     host would
     * @param channelClass the socket channel class of the event loops the check runs on (epoll or NIO)
     * @param resolver resolves the host name on the check's event loop; {@code null} for Netty's default
     */
    public record Endpoint(Target target, SslContext tls, boolean proxyProtocol,
            Class<? extends Channel> channelClass, AddressResolverGroup<?> resolver) {

        public Endpoint {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(channelClass, "channelClass");
        }

        /** A plain TCP endpoint with no PROXY header, resolved by Netty's default resolver. */
        public static Endpoint plain(Target target, Class<? extends Channel> channelClass) {
            return new Endpoint(target, null, false, channelClass, null);
        }

        /** The same endpoint over TLS with {@code context}; {@code null} for plain TCP. */
        public Endpoint withTls(SslContext context) {
            return new Endpoint(target, context, proxyProtocol, channelClass, resolver);
        }

        /** The same endpoint, writing a PROXY protocol v1 header first when {@code enabled}. */
        public Endpoint withProxyProtocol(boolean enabled) {
            return new Endpoint(target, tls, enabled, channelClass, resolver);
        }

        /** The same endpoint, resolving names with {@code group} (for example {@code Transport.newResolverGroup()}). */
        public Endpoint withResolver(AddressResolverGroup<?> group) {
            return new Endpoint(target, tls, proxyProtocol, channelClass, group);
        }

        /** {@code host:port}, lower-case, IPv6 in brackets: the form {@link Target#hostPort()} gives targets. */
        public String hostKey() {
            return target.hostPort();
        }
    }

    /**
     * Starts a session on {@code loop} and returns its outcome. The start is always handed to the loop, so a
     * caller on any thread gets the future before anything happens; a loop that is shutting down yields a
     * failed result rather than an exception.
     */
    static Future<CheckResult> run(EventLoop loop, Function<Promise<CheckResult>, CheckSession> newSession) {
        Promise<CheckResult> promise = loop.newPromise();
        try {
            loop.execute(() -> {
                try {
                    newSession.apply(promise).start();
                } catch (RuntimeException e) {
                    promise.trySuccess(CheckResult.failed("check could not start: " + describe(e)));
                }
            });
        } catch (RejectedExecutionException e) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(
                    CheckResult.failed("the event loop is shut down"));
        }
        return promise;
    }

    /**
     * A PROXY protocol v1 line for the check's own connection: its local address is the source, the host the
     * destination. {@code TCP6} when either is IPv6, with an IPv4 address written in its IPv6-mapped form.
     */
    static ByteBuf proxyHeaderV1(Channel channel) {
        InetSocketAddress source = (InetSocketAddress) channel.localAddress();
        InetSocketAddress destination = (InetSocketAddress) channel.remoteAddress();
        boolean ipv6 = source.getAddress() instanceof Inet6Address
                || destination.getAddress() instanceof Inet6Address;
        String line = "PROXY " + (ipv6 ? "TCP6 " : "TCP4 ") + address(source.getAddress(), ipv6) + " "
                + address(destination.getAddress(), ipv6) + " " + source.getPort() + " " + destination.getPort()
                + "\r\n";
        ByteBuf header = channel.alloc().buffer(line.length());
        ByteBufUtil.writeAscii(header, line);
        return header;
    }

    /** The address as the header writes it: RFC 5952 text for IPv6, no zone; IPv4 mapped when the header is TCP6. */
    private static String address(InetAddress address, boolean ipv6) {
        String text = NetUtil.toAddressString(address);
        return ipv6 && address instanceof Inet4Address ? "::ffff:" + text : text;
    }

    /** A cause as a failure reason: its message, from under Netty's decoder wrapper, or its type. */
    static String describe(Throwable cause) {
        Throwable shown = cause;
        while (shown instanceof DecoderException && shown.getCause() != null) {
            shown = shown.getCause();
        }
        String message = shown.getMessage();
        return message == null || message.isBlank() ? shown.getClass().getSimpleName() : message;
    }

    /** Text as a failure reason quotes it: control characters escaped, so {@code "+OK\r\n"} stays on one line. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\r' -> out.append("\\r");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\x%02x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
