package dev.gateway.redis.internal;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A Lua script shipped beside this class, run by its SHA-1 ({@code EVALSHA}) so that only the digest crosses the
 * wire. Redis keeps scripts in a cache that a restart, a failover or {@code SCRIPT FLUSH} empties; Lettuce does not
 * recover from the {@code NOSCRIPT} that follows, so this does: it sends the script itself once ({@code EVAL}, which
 * also caches it on that node) and goes back to the digest. Each script touches only its one key, so on a cluster it
 * runs on the master of that key's slot.
 */
final class LuaScript {

    private final String source;
    private final String sha1;

    private LuaScript(String source) {
        this.source = source;
        this.sha1 = sha1(source);
    }

    /** The script {@code name} from this package's resources. */
    static LuaScript load(String name) {
        try (InputStream in = LuaScript.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the script " + name + " is not on the class path");
            }
            return new LuaScript(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("the script " + name + " cannot be read", e);
        }
    }

    /** Runs the script on {@code key}; the stage fails as the command does. */
    <T> CompletionStage<T> run(RedisClusterAsyncCommands<String, byte[]> redis, ScriptOutputType type, String key,
            byte[]... args) {
        String[] keys = {key};
        CompletionStage<T> bySha = redis.evalsha(sha1, type, keys, args);
        return bySha.handle((result, failure) -> {
            if (failure == null) {
                return CompletableFuture.completedFuture(result);
            }
            if (unwrap(failure) instanceof RedisNoScriptException) {
                return redis.<T>eval(source, type, keys, args);
            }
            return CompletableFuture.<T>failedFuture(unwrap(failure));
        }).thenCompose(stage -> stage);
    }

    String sha1() {
        return sha1;
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    private static String sha1(String source) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }
}
