package dev.gateway.server;

import dev.gateway.core.config.AuthSettings;
import dev.gateway.core.keys.KeyHashing;
import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.LimitStore;
import dev.gateway.core.keys.MemoryKeyStore;
import dev.gateway.core.keys.MemoryLimitStore;
import dev.gateway.core.keys.Session;
import dev.gateway.server.control.KeysApi;
import java.util.function.LongSupplier;

/**
 * Where the gateway keeps keys and counts their limits, as {@code tyk.conf}'s {@code storage} says: in this process
 * (the default, for one gateway).
 */
final class KeyStores implements AutoCloseable {

    private final AuthSettings settings;
    private final KeyStore sessions;
    private final LimitStore limits;

    KeyStores(AuthSettings settings) {
        this.settings = settings;
        this.sessions = new MemoryKeyStore();
        this.limits = new MemoryLimitStore();
    }

    KeyStore sessions() {
        return sessions;
    }

    LimitStore limits() {
        return limits;
    }

    /** The key endpoints of the control API over these stores. */
    KeysApi api(LongSupplier epochSeconds) {
        return new KeysApi(sessions, limits, settings, session -> session, this::hashPassword, epochSeconds);
    }

    /** A new basic-auth password as {@code basic_auth_hash_key_function} asks; sha256 until bcrypt lands. */
    private Session.BasicAuthData hashPassword(String password) {
        String algorithm = settings.basicAuthHashKeyFunction().isEmpty() ? KeyHashing.SHA256
                : settings.basicAuthHashKeyFunction();
        return new Session.BasicAuthData(KeyHashing.hash(password, algorithm), algorithm);
    }

    @Override
    public void close() {
    }
}
