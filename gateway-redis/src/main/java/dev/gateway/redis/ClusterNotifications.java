package dev.gateway.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.gateway.redis.internal.RedisConnection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tyk's cluster notifications: JSON messages on the Redis channel {@value #CHANNEL}, signed with the
 * {@code node_secret} as Tyk signs them ({@code algorithm} 5, SHA-256 over command, payload and secret, in hex), so
 * a Tyk gateway on the same Redis hears this one and the reverse. A message that is not JSON, or whose signature is
 * missing or wrong, is ignored with a log line, unless {@code allow_insecure_configs} says to take unsigned ones.
 * Tyk's RSA-signed messages ({@code public_key_path}) are not read.
 */
public final class ClusterNotifications implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterNotifications.class);

    public static final String CHANNEL = "tyk.cluster.notifications";
    /** Commands that make every gateway reload. */
    public static final String GROUP_RELOAD = "GroupReload";
    /** The payload names keys (their storage names, comma-separated) that every gateway forgets from its cache. */
    public static final String KEY_SPACE_UPDATE = "KeySpaceUpdateNotification";
    /** Go's {@code crypto.SHA256}, the only algorithm written and read here. */
    static final int SHA256 = 5;

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /** A notification heard: its command and payload. */
    public record Notification(String command, String payload) {
    }

    private final RedisConnection connection;
    private final String nodeSecret;
    private final boolean allowInsecure;
    private final AutoCloseable subscription;

    ClusterNotifications(RedisConnection connection, String nodeSecret, boolean allowInsecure,
            Consumer<Notification> handler) {
        this.connection = connection;
        this.nodeSecret = nodeSecret;
        this.allowInsecure = allowInsecure;
        this.subscription = connection.subscribe(CHANNEL, message -> heard(message, handler));
    }

    /** Publishes {@code command} with {@code payload}, signed; completes when Redis has taken it. */
    public CompletionStage<Void> publish(String command, String payload) {
        String message = JSON.createObjectNode().put("command", command).put("payload", payload)
                .put("signature", signature(command, payload)).put("algorithm", SHA256).toString();
        return connection.commands().publish(CHANNEL, message.getBytes(StandardCharsets.UTF_8)).thenApply(n -> null);
    }

    private void heard(String message, Consumer<Notification> handler) {
        JsonNode tree;
        try {
            tree = JSON.readTree(message);
        } catch (JsonProcessingException e) {
            log.warn("cluster notification ignored: not JSON ({})", e.getOriginalMessage());
            return;
        }
        String command = tree.path("command").asText("");
        String payload = tree.path("payload").asText("");
        if (!allowInsecure && !signedByANode(command, payload, tree)) {
            log.warn("cluster notification {} ignored: its signature is missing or wrong (node_secret differs?)",
                    command);
            return;
        }
        try {
            handler.accept(new Notification(command, payload));
        } catch (RuntimeException e) {
            log.error("cluster notification {} failed", command, e);
        }
    }

    private boolean signedByANode(String command, String payload, JsonNode tree) {
        return tree.path("algorithm").asInt(-1) == SHA256 && MessageDigest.isEqual(
                signature(command, payload).getBytes(StandardCharsets.US_ASCII),
                tree.path("signature").asText("").getBytes(StandardCharsets.US_ASCII));
    }

    private String signature(String command, String payload) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest((command + payload + nodeSecret).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public void close() {
        try {
            subscription.close();
        } catch (Exception e) {
            log.debug("closing the notification subscription: {}", e.toString());
        }
    }
}
