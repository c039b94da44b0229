package dev.gateway.auth;

import dev.gateway.auth.internal.PasswordChecks;
import dev.gateway.core.keys.KeyHashing;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Basic-auth passwords as Tyk stores them in {@code basic_auth_data}, for the keys API: which {@code hash_type} a
 * new password gets ({@link #algorithm}) and its stored form ({@link #hash}).
 */
public final class BasicPasswords {

    /** Tyk's default {@code hash_type}. */
    public static final String BCRYPT = "bcrypt";

    /** The bcrypt cost Tyk uses ({@code bcrypt.GenerateFromPassword(..., 10)}): about 70 ms per check. */
    public static final int BCRYPT_COST = 10;

    /** bcrypt reads at most this many bytes of a password. */
    public static final int BCRYPT_MAX_PASSWORD_BYTES = 72;

    private static final int SALT_BYTES = 16;
    /** The version Go's bcrypt writes, so Tyk gateways sharing the store read our hashes. */
    private static final String BCRYPT_VERSION = "2a";
    private static final SecureRandom RANDOM = new SecureRandom();

    private BasicPasswords() {
    }

    /**
     * The {@code hash_type} new passwords get, as Tyk's {@code basicAuthHashAlgo}: {@code basic_auth_hash_key_function}
     * when it names {@code bcrypt}, {@code sha256} or a murmur, else {@code bcrypt}.
     */
    public static String algorithm(String basicAuthHashKeyFunction) {
        return PasswordChecks.FAST_HASHES.contains(basicAuthHashKeyFunction) ? basicAuthHashKeyFunction : BCRYPT;
    }

    /**
     * {@code password} as {@code basic_auth_data.password} stores it under {@code algorithm} (from
     * {@link #algorithm}): a {@code $2a$10$} bcrypt hash with a random salt, or Tyk's hex hash. bcrypt is slow
     * (tens of milliseconds): call it off the event loops.
     *
     * @throws IllegalArgumentException when bcrypt is asked for a password longer than
     *     {@value #BCRYPT_MAX_PASSWORD_BYTES} bytes in UTF-8, which bcrypt cannot take whole (Go's bcrypt refuses it
     *     too; Tyk then stores the password in plain text, which this refuses to do)
     */
    public static String hash(String password, String algorithm) {
        if (PasswordChecks.FAST_HASHES.contains(algorithm)) {
            return KeyHashing.hash(password, algorithm);
        }
        byte[] bytes = password.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > BCRYPT_MAX_PASSWORD_BYTES) {
            throw new IllegalArgumentException("a bcrypt password is at most " + BCRYPT_MAX_PASSWORD_BYTES
                    + " bytes, not " + bytes.length);
        }
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        return OpenBSDBCrypt.generate(BCRYPT_VERSION, bytes, salt, BCRYPT_COST);
    }
}
