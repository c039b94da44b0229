package dev.gateway.auth.internal;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.keys.KeyHashing;
import dev.gateway.core.keys.Session;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Checks basic-auth passwords against {@code basic_auth_data} as Tyk's {@code checkPassword} does: an empty
 * {@code hash_type} compares plain text, {@code sha256} and the murmurs compare Tyk's hash of the password, anything
 * else is bcrypt. Every comparison takes constant time (Tyk compares plain text and hashes with {@code !=}).
 *
 * <p>bcrypt costs tens of milliseconds, so it never runs on an event loop: it runs on {@value #THREADS_MAX} or fewer
 * daemon threads, with at most {@value #MAX_WAITING} checks waiting; past that a check fails at once with a
 * {@link RejectedExecutionException} (503 for the client). Concurrent checks of the same hash and password share one
 * run, as Tyk's singleflight. Unless an API sets {@code basic_auth.disable_caching}, a successful check is remembered
 * for its {@code cache_ttl} seconds: keyed by the stored hash, holding a keyed digest of the password (HMAC-SHA256
 * under a key made at start, never the password), compared in constant time; so a changed password or a changed
 * stored hash always runs bcrypt again. At most {@value #MAX_CACHED} are remembered; past that, expired ones are
 * dropped, and if none had expired, all are.
 */
public final class PasswordChecks implements AutoCloseable {

    /** bcrypt threads: half the processors, so that event loops keep CPU when many checks arrive at once. */
    static final int THREADS_MAX = 4;
    private static final int THREADS = Math.max(1, Math.min(THREADS_MAX,
            Runtime.getRuntime().availableProcessors() / 2));

    /** bcrypt checks waiting for a thread: at ~70 ms each, a few seconds of work on the threads above. */
    static final int MAX_WAITING = 256;

    /** Remembered successful checks; each is two short strings. */
    static final int MAX_CACHED = 10_000;

    /** The {@code hash_type}s compared by Tyk's hash of the password rather than by bcrypt. */
    public static final Set<String> FAST_HASHES = Set.of(KeyHashing.SHA256, KeyHashing.MURMUR32, KeyHashing.MURMUR64,
            KeyHashing.MURMUR128);

    private static final String HMAC = "HmacSHA256";
    private static final int HMAC_KEY_BYTES = 32;
    private static final String PLAIN_TEXT = "";

    /** bcrypt runs, for tests that check what the cache saves. */
    private static final AtomicLong BCRYPT_RUNS = new AtomicLong();

    private record Attempt(String storedHash, String digest) {
    }

    private record Remembered(byte[] digest, long expiresAtNanos) {
    }

    private final ThreadPoolExecutor executor;
    private final Map<String, Remembered> remembered = new ConcurrentHashMap<>();
    private final Map<Attempt, CompletableFuture<Boolean>> running = new ConcurrentHashMap<>();
    private final SecretKeySpec digestKey;
    private final LongSupplier nanoTime;

    public PasswordChecks() {
        this(System::nanoTime);
    }

    PasswordChecks(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        byte[] key = new byte[HMAC_KEY_BYTES];
        new SecureRandom().nextBytes(key);
        this.digestKey = new SecretKeySpec(key, HMAC);
        AtomicInteger count = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(MAX_WAITING), task -> {
                    Thread thread = new Thread(task, "bcrypt-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        executor.allowCoreThreadTimeOut(true);
    }

    /** How many bcrypt comparisons ran since start, in this process. */
    static long bcryptRuns() {
        return BCRYPT_RUNS.get();
    }

    /**
     * Whether {@code password} is the one {@code data} holds: at once, except for an uncached bcrypt check, which
     * completes on a bcrypt thread, or fails with {@link RejectedExecutionException} when too many are waiting.
     */
    public CompletionStage<Boolean> check(Session.BasicAuthData data, byte[] password, ApiDefinition.BasicAuth api) {
        String type = data.hashType();
        String stored = data.password();
        if (type.equals(PLAIN_TEXT)) {
            return CompletableFuture.completedFuture(
                    MessageDigest.isEqual(stored.getBytes(StandardCharsets.UTF_8), password));
        }
        if (FAST_HASHES.contains(type)) {
            return CompletableFuture.completedFuture(
                    KeyHashing.passwordMatches(stored, new String(password, StandardCharsets.UTF_8), type));
        }
        if (api.disableCaching()) {
            return run(stored, password, null, 0);
        }
        String digest = digest(password);
        Remembered hit = remembered.get(stored);
        if (hit != null && hit.expiresAtNanos() - nanoTime.getAsLong() > 0
                && MessageDigest.isEqual(hit.digest(), digest.getBytes(StandardCharsets.US_ASCII))) {
            return CompletableFuture.completedFuture(true);
        }
        return run(stored, password, digest, TimeUnit.SECONDS.toNanos(api.cacheTtl()));
    }

    /** One bcrypt comparison on a bcrypt thread, shared with a running one for the same hash and password. */
    private CompletionStage<Boolean> run(String stored, byte[] password, String digest, long ttlNanos) {
        Attempt attempt = new Attempt(stored, digest != null ? digest : digest(password));
        CompletableFuture<Boolean> mine = new CompletableFuture<>();
        CompletableFuture<Boolean> theirs = running.putIfAbsent(attempt, mine);
        if (theirs != null) {
            return theirs;
        }
        try {
            executor.execute(() -> {
                boolean matches;
                try {
                    matches = bcrypt(stored, password);
                    if (matches && digest != null) {
                        remember(stored, digest, ttlNanos);
                    }
                } catch (RuntimeException | Error e) {
                    running.remove(attempt, mine);
                    mine.completeExceptionally(e);
                    return;
                }
                running.remove(attempt, mine);
                mine.complete(matches);
            });
        } catch (RejectedExecutionException e) {
            running.remove(attempt, mine);
            mine.completeExceptionally(e);
        }
        return mine;
    }

    private static boolean bcrypt(String stored, byte[] password) {
        BCRYPT_RUNS.incrementAndGet();
        try {
            return OpenBSDBCrypt.checkPassword(stored, password);
        } catch (IllegalArgumentException e) {
            return false; // not a bcrypt hash, or a password bcrypt cannot take: no match, as in Tyk
        }
    }

    private void remember(String stored, String digest, long ttlNanos) {
        if (remembered.size() >= MAX_CACHED) {
            long now = nanoTime.getAsLong();
            remembered.values().removeIf(r -> r.expiresAtNanos() - now <= 0);
            if (remembered.size() >= MAX_CACHED) {
                remembered.clear();
            }
        }
        remembered.put(stored, new Remembered(digest.getBytes(StandardCharsets.US_ASCII),
                nanoTime.getAsLong() + ttlNanos));
    }

    private String digest(byte[] password) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(digestKey);
            return HexFormat.of().formatHex(mac.doFinal(password));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is part of every JDK", e);
        }
    }

    /** Stops the bcrypt threads; checks still waiting are dropped. */
    @Override
    public void close() {
        executor.shutdownNow();
    }
}
