package dev.gateway.auth.internal;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.Policy;
import dev.gateway.core.keys.KeyHashing;
import dev.gateway.core.keys.KeyLookup;
import dev.gateway.core.keys.Session;
import dev.gateway.core.net.ClientErrorLog;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilter;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tyk's token authentication ({@code AuthKey}): the key the request carries ({@link TokenSource}) is looked up in
 * the store under Tyk's name for it, the policies it names are applied ({@link PolicyApplier}), and its session kept
 * on the request ({@link SessionKey#SESSION}) for the checks that follow. No key: 401 "Authorization field missing".
 * An unknown key, one shorter than Tyk's minimum of three characters, or one whose policies cannot be applied: 403
 * "Access to this API has been disallowed". A store that cannot answer: 503, failing closed. Log lines name a key
 * only by a short hash, never the key.
 */
public final class TokenAuthFilter implements RequestFilter {

    private static final Logger log = LoggerFactory.getLogger(TokenAuthFilter.class);

    private final TokenSource source;
    private final KeyLookup keys;
    private final String orgId;
    private final int minLength;
    private final Supplier<Map<String, Policy>> policies;

    /**
     * @param keys where keys are found, as Tyk finds them for the API's organisation
     * @param minLength {@code min_token_length}: shorter keys are unknown
     * @param policies the policies loaded now, asked on every request so that a reload is seen at once
     */
    public TokenAuthFilter(ApiDefinition api, KeyLookup keys, int minLength,
            Supplier<Map<String, Policy>> policies) {
        this.source = TokenSource.of(api.tokenAuth());
        this.keys = keys;
        this.orgId = api.orgId();
        this.minLength = minLength;
        this.policies = policies;
    }

    @Override
    public FilterDecision filter(FilteredRequest request) {
        String key = source.key(request);
        if (key.isEmpty()) {
            ClientErrorLog.info(log, request.route().api().listenPort(),
                    "api={} client={} conn={} {} {} refused: no key", request.route().apiId(), request.client(),
                    request.connectionId(), request.head().method(), request.path());
            return FilterDecision.refuse(ProxyFailure.AUTH_FIELD_MISSING);
        }
        if (key.length() < minLength) {
            return unknown(request, key, "unknown key");
        }
        CompletionStage<FilterDecision> decided = keys.find(key, orgId).handle(
                (found, failure) -> failure != null ? unavailable(request, failure)
                        : found == null ? unknown(request, key, "unknown key")
                        : found(request, found.name(), found.session()));
        return FilterDecision.later(decided);
    }

    private FilterDecision found(FilteredRequest request, String key, Session session) {
        try {
            new PolicyApplier(policies.get(), request.route().api().orgId()).apply(session);
        } catch (PolicyApplier.Refused e) {
            return unknown(request, key, e.getMessage());
        }
        request.set(SessionKey.SESSION, session);
        request.set(SessionKey.KEY, key);
        return FilterDecision.proceed();
    }

    private static FilterDecision unknown(FilteredRequest request, String key, String why) {
        ClientErrorLog.info(log, request.route().api().listenPort(),
                "api={} client={} conn={} {} {} refused: {} {}", request.route().apiId(), request.client(),
                request.connectionId(), request.head().method(), request.path(), why, KeyHashing.forLog(key));
        return FilterDecision.refuse(ProxyFailure.ACCESS_DENIED);
    }

    static FilterDecision unavailable(FilteredRequest request, Throwable failure) {
        ClientErrorLog.warn(log, request.route().api().listenPort(),
                "api={} client={} conn={} the key store did not answer: {}", request.route().apiId(),
                request.client(), request.connectionId(), failure.toString());
        return FilterDecision.refuse(ProxyFailure.KEY_STORE_UNAVAILABLE);
    }
}
