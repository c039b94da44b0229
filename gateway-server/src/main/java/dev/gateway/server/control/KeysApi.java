package dev.gateway.server.control;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.config.AuthSettings;
import dev.gateway.core.keys.KeyHashing;
import dev.gateway.core.keys.KeyLookup;
import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.LimitKeys;
import dev.gateway.core.keys.LimitStore;
import dev.gateway.core.keys.Session;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.LocalRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tyk's key endpoints: {@code /tyk/keys} (list; POST creates a key of the gateway's making),
 * {@code /tyk/keys/create}, and {@code /tyk/keys/{key}} (GET, POST a custom key, PUT, DELETE), with Tyk's bodies,
 * statuses and messages, and its query options {@code hashed}, {@code org_id} and {@code suppress_reset}. Writing a
 * key starts its quota period afresh unless {@code suppress_reset=1}, as in Tyk. Log lines name a key by a short
 * hash, never the key.
 */
public final class KeysApi {

    private static final Logger log = LoggerFactory.getLogger(KeysApi.class);

    private final KeyStore store;
    private final KeyLookup lookup;
    private final LimitStore limits;
    private final AuthSettings settings;
    private final UnaryOperator<Session> policies;
    private final Function<String, Session.BasicAuthData> passwords;
    private final LongSupplier epochSeconds;
    private final Consumer<String> keyChanged;

    /**
     * @param policies applies a session's policies, as authentication will; throws {@link IllegalStateException}
     *     with Tyk's words when they cannot be
     * @param passwords hashes a new basic-auth password as {@code basic_auth_hash_key_function} asks
     * @param keyChanged told of each key written or deleted, by its storage name (without {@code apikey-}), so that
     *     every gateway's session cache forgets it (Tyk's {@code KeySpaceUpdateNotification})
     */
    public KeysApi(KeyStore store, LimitStore limits, AuthSettings settings, UnaryOperator<Session> policies,
            Function<String, Session.BasicAuthData> passwords, LongSupplier epochSeconds,
            Consumer<String> keyChanged) {
        this.keyChanged = keyChanged;
        this.store = store;
        this.lookup = new KeyLookup(store, settings.hashKeys(), settings.hashKeyFunction());
        this.limits = limits;
        this.settings = settings;
        this.policies = policies;
        this.passwords = passwords;
        this.epochSeconds = epochSeconds;
    }

    CompletionStage<FilterDecision.Answer> answer(LocalRequest request, String name) {
        Map<String, List<String>> query = new QueryStringDecoder(request.query(), false).parameters();
        Options options = new Options(!first(query, "hashed").isEmpty(), first(query, "org_id"),
                "1".equals(first(query, "suppress_reset")));
        HttpMethod method = request.method();
        if (name.equals("create") && method.equals(HttpMethod.POST)) {
            return create(request);
        }
        if (options.hashed() && !settings.hashKeys()) {
            return Replies.errorNow(HttpResponseStatus.BAD_REQUEST,
                    "Key requested by hash but key hashing is not enabled");
        }
        if (method.equals(HttpMethod.GET)) {
            return name.isEmpty() ? list() : detail(name, options);
        }
        if (method.equals(HttpMethod.POST)) {
            return add(request, name, options);
        }
        if (method.equals(HttpMethod.PUT) && !name.isEmpty()) {
            return update(request, name, options);
        }
        if (method.equals(HttpMethod.DELETE) && !name.isEmpty()) {
            return delete(request, name, options);
        }
        return Replies.errorNow(HttpResponseStatus.METHOD_NOT_ALLOWED, "Method not supported");
    }

    /** Query options of the key endpoints. */
    private record Options(boolean hashed, String orgId, boolean suppressReset) {
    }

    private static String first(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? "" : values.get(0);
    }

    // ---- reading ----------------------------------------------------------------------------------------------

    private CompletionStage<FilterDecision.Answer> list() {
        if (settings.hashKeys() && !settings.enableHashedKeysListing()) {
            return Replies.errorNow(HttpResponseStatus.NOT_FOUND,
                    "Hashed key listing is disabled in config (enable_hashed_keys_listing)");
        }
        return store.list().thenApply(keys -> {
            ObjectNode body = Replies.JSON.createObjectNode();
            var array = body.putArray("keys");
            keys.stream().map(k -> k.substring(KeyHashing.REDIS_PREFIX.length())).sorted().forEach(array::add);
            return Replies.ok(body);
        });
    }

    private CompletionStage<FilterDecision.Answer> detail(String name, Options options) {
        return find(name, options.orgId(), options.hashed()).thenApply(found -> {
            if (found == null) {
                return Replies.error(HttpResponseStatus.NOT_FOUND, "Key not found");
            }
            Session session = found.session();
            try {
                session = policies.apply(session);
            } catch (IllegalStateException e) {
                // Tyk shows the session as stored when its policies do not apply.
            }
            session.hidePassword();
            return FilterDecision.Answer.json(HttpResponseStatus.OK, new String(session.toJson(),
                    java.nio.charset.StandardCharsets.UTF_8));
        });
    }

    /** The key called {@code name}: as a hash when {@code hashed}, else as Tyk's {@code SessionDetail} looks. */
    private CompletionStage<KeyLookup.Found> find(String name, String orgId, boolean hashed) {
        return hashed ? lookup.findHashed(name) : lookup.find(name, orgId);
    }

    // ---- writing ----------------------------------------------------------------------------------------------

    /** {@code POST /tyk/keys/create}: always a key of the gateway's making. */
    private CompletionStage<FilterDecision.Answer> create(LocalRequest request) {
        Session session = parse(request);
        if (session == null) {
            return Replies.errorNow(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Unmarshalling failed");
        }
        if (session.accessRights().isEmpty() && !settings.allowMasterKeys()) {
            return Replies.errorNow(HttpResponseStatus.BAD_REQUEST,
                    "Failed to create key, keys must have at least one Access Rights record set.");
        }
        String key = KeyHashing.gatewayKey(session.orgId(), "", settings.hashKeyFunction());
        try {
            session = policies.apply(session);
        } catch (IllegalStateException e) {
            return Replies.errorNow(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Failed to create key - "
                    + e.getMessage());
        }
        if (session.isBasicAuth()) {
            session.basicAuthData(passwords.apply(session.basicAuthData().password()));
        }
        return save(request, key, KeyHashing.redisKey(key, settings.hashKeys()), session, false, "added", true);
    }

    /** {@code POST /tyk/keys[/{name}]}: a new key, of the gateway's making or named by the client. */
    private CompletionStage<FilterDecision.Answer> add(LocalRequest request, String name, Options options) {
        Session session = parse(request);
        if (session == null) {
            return Replies.errorNow(HttpResponseStatus.BAD_REQUEST, "Request malformed");
        }
        if (!name.isEmpty() && name.length() < settings.minTokenLength()) {
            return Replies.errorNow(HttpResponseStatus.BAD_REQUEST, "custom key ID length " + name.length()
                    + " is less than min_token_length (" + settings.minTokenLength() + "); the key would be"
                    + " unreachable at auth time");
        }
        String key = options.hashed() ? name : KeyHashing.gatewayKey(session.orgId(), name,
                settings.hashKeyFunction());
        String storageKey = options.hashed() ? KeyHashing.REDIS_PREFIX + name
                : KeyHashing.redisKey(key, settings.hashKeys());
        keepPastExpiry(session, null);
        if (session.isBasicAuth()) {
            session.basicAuthData(passwords.apply(session.basicAuthData().password()));
        }
        return checked(request, key, storageKey, session, options, "added");
    }

    /** {@code PUT /tyk/keys/{name}}: an existing key, rewritten. */
    private CompletionStage<FilterDecision.Answer> update(LocalRequest request, String name, Options options) {
        Session session = parse(request);
        if (session == null) {
            return Replies.errorNow(HttpResponseStatus.BAD_REQUEST, "Request malformed");
        }
        return find(name, session.orgId(), options.hashed()).thenCompose(found -> {
            if (found == null) {
                return Replies.errorNow(HttpResponseStatus.NOT_FOUND, "Key is not found");
            }
            Session original = found.session();
            if (options.suppressReset()) {
                session.quotaRenews(original.quotaRenews());
            }
            keepPastExpiry(session, original);
            Session.BasicAuthData given = session.basicAuthData();
            if (session.isBasicAuth() && !given.password().equals(original.basicAuthData().password())) {
                session.basicAuthData(passwords.apply(given.password()));
            } else if (!session.isBasicAuth() && original.isBasicAuth()) {
                session.basicAuthData(original.basicAuthData());
            }
            return checked(request, found.name(), found.storageKey(), session, options, "modified");
        });
    }

    /** Tyk keeps the stored expiry when a write sets one in the past. */
    private void keepPastExpiry(Session session, Session original) {
        if (session.expires() > 1 && session.expires() < epochSeconds.getAsLong()) {
            session.expires(original == null ? 0 : original.expires());
        }
    }

    /** Master-key and policy checks of a POST or PUT, then the write. */
    private CompletionStage<FilterDecision.Answer> checked(LocalRequest request, String key, String storageKey,
            Session session, Options options, String action) {
        Session applied = session;
        try {
            applied = policies.apply(session);
        } catch (IllegalStateException e) {
            return Replies.errorNow(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "Failed to create key, ensure security settings are correct.");
        }
        if (applied.accessRights().isEmpty() && !settings.allowMasterKeys()) {
            return Replies.errorNow(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "Failed to create key, ensure security settings are correct.");
        }
        return save(request, key, storageKey, applied, options.suppressReset(), action,
                request.method().equals(HttpMethod.POST));
    }

    /** Stores the session, its quota starting afresh unless {@code suppressReset}, and answers as Tyk does. */
    private CompletionStage<FilterDecision.Answer> save(LocalRequest request, String key, String storageKey,
            Session session, boolean suppressReset, String action, boolean created) {
        long now = epochSeconds.getAsLong();
        CompletionStage<Void> reset = CompletableFuture.completedFuture(null);
        if (!suppressReset) {
            session.lastUpdated(now);
            session.quotaRenews(now + session.quotaRenewalRate());
            reset = resetQuotas(key, session);
        }
        return reset.thenCompose(v -> store.put(storageKey, session)).thenApply(v -> {
            keyChanged.accept(storageKey.substring(KeyHashing.REDIS_PREFIX.length()));
            log.info("control client={} conn={} key {} {} (org {})", request.client(), request.connectionId(),
                    KeyHashing.forLog(key), action, session.orgId());
            ObjectNode body = Replies.modified(key, action);
            if (settings.hashKeys() && created) {
                if (session.isBasicAuth()) {
                    body.put("key", "");
                }
                body.put("key_hash", storageKey.substring(KeyHashing.REDIS_PREFIX.length()));
            }
            return Replies.ok(body);
        });
    }

    /** Tyk's {@code ResetQuota}: the key's own quota counter, and each per-API one. */
    private CompletionStage<Void> resetQuotas(String key, Session session) {
        List<CompletableFuture<Void>> resets = new ArrayList<>();
        resets.add(limits.resetQuota(LimitKeys.quota(key, "", settings.hashKeys())).toCompletableFuture());
        session.accessRights().values().stream().filter(r -> !r.allowanceScope().isEmpty())
                .forEach(r -> resets.add(limits.resetQuota(LimitKeys.quota(key, r.allowanceScope(),
                        settings.hashKeys())).toCompletableFuture()));
        return CompletableFuture.allOf(resets.toArray(CompletableFuture[]::new));
    }

    private CompletionStage<FilterDecision.Answer> delete(LocalRequest request, String name, Options options) {
        return find(name, options.orgId(), options.hashed()).thenCompose(found -> {
            if (found == null) {
                return Replies.errorNow(HttpResponseStatus.NOT_FOUND, "There is no such key found");
            }
            return resetQuotas(found.name(), found.session()).thenCompose(v -> store.delete(found.storageKey()))
                    .thenApply(removed -> {
                        if (!removed) {
                            return Replies.error(HttpResponseStatus.BAD_REQUEST, "Failed to remove the key");
                        }
                        keyChanged.accept(found.storageKey().substring(KeyHashing.REDIS_PREFIX.length()));
                        log.info("control client={} conn={} key {} deleted", request.client(),
                                request.connectionId(), KeyHashing.forLog(found.name()));
                        return Replies.ok(Replies.modified(found.name(), "deleted"));
                    });
        });
    }

    /** The request's session, or {@code null} when its body is not one. */
    private static Session parse(LocalRequest request) {
        try {
            return Session.parse(request.body());
        } catch (IllegalArgumentException e) {
            log.info("control client={} conn={} {} {}: {}", request.client(), request.connectionId(),
                    request.method(), request.path(), e.getMessage());
            return null;
        }
    }
}
