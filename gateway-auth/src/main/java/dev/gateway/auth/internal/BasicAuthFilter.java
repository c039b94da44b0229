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
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tyk's basic authentication ({@code BasicAuthKeyIsValid}, gateway/mw_basic_auth.go). The credentials are read
 * where {@code auth_configs.basic} says ({@link TokenSource}; the {@code Authorization} header by default) and parsed
 * as Tyk parses them: two words split by one space (the scheme word is not checked), the second padded standard
 * base64, decoding to exactly one {@code user:password} (a {@code :} in the password is refused). The user's key is
 * looked up as Tyk's gateway names it ({@code org_id + user}, or the base64 token of {@code hash_key_function}),
 * then as given, then, with a {@code hash_key_function}, in the legacy {@code org_id + user} form; its policies are
 * applied, then the password is checked ({@link PasswordChecks}).
 *
 * <p>Answers: no credentials, 401 "Authorization field missing"; malformed ones, Tyk's three 400s; an unknown user,
 * a user whose policies cannot be applied, or a wrong password, 401 "User not authorised". The 401s carry
 * {@code WWW-Authenticate: Basic realm="<API name>"}, the 400s do not. A store that cannot answer: 503; too many
 * bcrypt checks waiting: 503.
 *
 * <p>Differences from Tyk: {@code basic_auth.extract_from_body} is not supported (filters do not see the body; the
 * API is refused at load); the realm is written as an HTTP quoted string (a {@code "} or {@code \} in the API name
 * is escaped, control characters dropped), where Tyk writes the name as it is; passwords are compared in constant
 * time.
 */
public final class BasicAuthFilter implements RequestFilter {

    private static final Logger log = LoggerFactory.getLogger(BasicAuthFilter.class);

    private final TokenSource source;
    private final String orgId;
    private final String challenge;
    private final ApiDefinition.BasicAuth settings;
    private final KeyLookup keys;
    private final int minLength;
    private final String hashKeyFunction;
    private final Supplier<Map<String, Policy>> policies;
    private final PasswordChecks checks;

    /**
     * @param keys where users' keys are found
     * @param minLength {@code min_token_length}: shorter user names are unknown
     * @param hashKeyFunction Tyk's {@code hash_key_function}: how the gateway names a user's key
     */
    public BasicAuthFilter(ApiDefinition api, KeyLookup keys, int minLength, String hashKeyFunction,
            Supplier<Map<String, Policy>> policies, PasswordChecks checks) {
        this.source = TokenSource.of(api.basicAuthSource());
        this.orgId = api.orgId();
        this.challenge = "Basic realm=\"" + quoted(api.name()) + "\"";
        this.settings = api.basicAuth();
        this.keys = keys;
        this.minLength = minLength;
        this.hashKeyFunction = hashKeyFunction;
        this.policies = policies;
        this.checks = checks;
    }

    /** The user and password of well-formed credentials. */
    record Credentials(String user, byte[] password) {
    }

    /** The refusal for malformed credentials, or {@code null} when they parse; {@code into[0]} gets them. */
    static ProxyFailure parse(String token, Credentials[] into) {
        int space = token.indexOf(' ');
        if (space < 0 || token.indexOf(' ', space + 1) >= 0) {
            return ProxyFailure.BASIC_AUTH_MALFORMED;
        }
        Optional<byte[]> decoded = KeyHashing.decodeStd(token.substring(space + 1));
        if (decoded.isEmpty()) {
            return ProxyFailure.BASIC_AUTH_NOT_ENCODED;
        }
        byte[] pair = decoded.get();
        int colon = indexOf(pair, 0);
        if (colon < 0 || indexOf(pair, colon + 1) >= 0) {
            return ProxyFailure.BASIC_AUTH_NOT_A_PAIR;
        }
        into[0] = new Credentials(new String(pair, 0, colon, StandardCharsets.UTF_8),
                Arrays.copyOfRange(pair, colon + 1, pair.length));
        return null;
    }

    private static int indexOf(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == ':') {
                return i;
            }
        }
        return -1;
    }

    @Override
    public FilterDecision filter(FilteredRequest request) {
        String token = source.raw(request);
        if (token.isEmpty()) {
            refusalLog(request, "no credentials", "");
            return FilterDecision.refuse(ProxyFailure.AUTH_FIELD_MISSING, challenge());
        }
        Credentials[] parsed = new Credentials[1];
        ProxyFailure malformed = parse(token, parsed);
        if (malformed != null) {
            refusalLog(request, "malformed credentials", "");
            return FilterDecision.refuse(malformed);
        }
        Credentials credentials = parsed[0];
        if (credentials.user().length() < minLength) {
            return notAuthorised(request, "unknown user", credentials.user());
        }
        return FilterDecision.later(keys.find(new ArrayList<>(names(credentials.user())))
                .thenCompose(found -> checked(request, credentials, found))
                .exceptionally(failure -> failed(request, failure)));
    }

    /**
     * The names the user's key may be stored under, in the order Tyk tries them: as every key is looked up, then,
     * for users only, Tyk's legacy {@code org + user} when keys are made in another form.
     */
    private Set<String> names(String user) {
        Set<String> names = new LinkedHashSet<>(keys.names(user, orgId));
        if (!hashKeyFunction.isEmpty()) {
            names.add(orgId + (user.startsWith(orgId) ? user.substring(orgId.length()) : user));
        }
        return names;
    }

    private CompletionStage<FilterDecision> checked(FilteredRequest request, Credentials credentials,
            KeyLookup.Found found) {
        if (found == null) {
            return CompletableFuture.completedFuture(notAuthorised(request, "unknown user", credentials.user()));
        }
        Session session = found.session();
        try {
            new PolicyApplier(policies.get(), orgId).apply(session);
        } catch (PolicyApplier.Refused e) {
            return CompletableFuture.completedFuture(notAuthorised(request, e.getMessage(), credentials.user()));
        }
        return checks.check(session.basicAuthData(), credentials.password(), settings).thenApply(matches -> {
            if (!matches) {
                return notAuthorised(request, "wrong password for user", credentials.user());
            }
            request.set(SessionKey.SESSION, session);
            request.set(SessionKey.KEY, found.name());
            return FilterDecision.proceed();
        });
    }

    private FilterDecision failed(FilteredRequest request, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
                : failure;
        if (cause instanceof RejectedExecutionException) {
            ClientErrorLog.warn(log, request.route().api().listenPort(),
                    "api={} client={} conn={} refused: too many password checks waiting", request.route().apiId(),
                    request.client(), request.connectionId());
            return FilterDecision.refuse(ProxyFailure.PASSWORD_CHECKS_BUSY);
        }
        return TokenAuthFilter.unavailable(request, cause);
    }

    private FilterDecision notAuthorised(FilteredRequest request, String why, String user) {
        refusalLog(request, why, KeyHashing.hash(user, KeyHashing.MURMUR32));
        return FilterDecision.refuse(ProxyFailure.USER_NOT_AUTHORISED, challenge());
    }

    private static void refusalLog(FilteredRequest request, String why, String userHash) {
        ClientErrorLog.info(log, request.route().api().listenPort(), "api={} client={} conn={} {} {} refused: {} {}",
                request.route().apiId(), request.client(), request.connectionId(), request.head().method(),
                request.path(), why, userHash);
    }

    private HttpHeaders challenge() {
        return new DefaultHttpHeaders().add(HttpHeaderNames.WWW_AUTHENTICATE, challenge);
    }

    /** {@code name} as the inside of an HTTP quoted string: {@code "} and {@code \} escaped, controls dropped. */
    private static String quoted(String name) {
        StringBuilder out = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c >= ' ' && c != 0x7f) {
                out.append(c);
            }
        }
        return out.toString();
    }
}
