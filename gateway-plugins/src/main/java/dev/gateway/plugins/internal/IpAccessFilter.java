package dev.gateway.plugins.internal;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.net.ClientErrorLog;
import dev.gateway.core.net.IpRanges;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilter;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An API's {@code allowed_ips} and {@code blacklisted_ips}, checked against the real client: the socket's peer, or
 * the address a PROXY protocol header named. Unlike Tyk, never {@code X-Real-IP} or {@code X-Forwarded-For}, which
 * any client can write (Tyk's issues 624 and 3654).
 */
final class IpAccessFilter implements RequestFilter {

    private static final Logger log = LoggerFactory.getLogger(IpAccessFilter.class);

    private final IpRanges allowed;
    private final IpRanges blocked;
    /**
     * The last client judged, and how: a keep-alive connection's requests all carry the same address object, so
     * they are judged once. Shared by the event loops without a lock: the record is immutable, and a stale one
     * only costs a judgement.
     */
    private volatile Verdict last;

    private record Verdict(InetSocketAddress client, boolean refused) {
    }

    private IpAccessFilter(IpRanges allowed, IpRanges blocked) {
        this.allowed = allowed;
        this.blocked = blocked;
    }

    /** The filter for {@code api}'s lists in force; {@code null} when both are empty. */
    static IpAccessFilter of(ApiDefinition api) {
        IpRanges allowed = IpRanges.parse(api.ipAllowList());
        IpRanges blocked = IpRanges.parse(api.ipBlockList());
        return allowed.isEmpty() && blocked.isEmpty() ? null : new IpAccessFilter(allowed, blocked);
    }

    @Override
    public FilterDecision filter(FilteredRequest request) {
        Verdict verdict = last;
        if (verdict == null || verdict.client != request.client()) {
            verdict = new Verdict(request.client(), refuses(request.client()));
            last = verdict;
        }
        if (!verdict.refused) {
            return FilterDecision.proceed();
        }
        ClientErrorLog.info(log, request.route().api().listenPort(),
                "api={} client={} conn={} {} {} refused: access from this IP has been disallowed",
                request.route().apiId(), request.client(), request.connectionId(), request.head().method(),
                request.path());
        return FilterDecision.refuse(ProxyFailure.CLIENT_IP_REFUSED);
    }

    private boolean refuses(InetSocketAddress client) {
        return !allowed.isEmpty() && !allowed.contains(client) || !blocked.isEmpty() && blocked.contains(client);
    }
}
