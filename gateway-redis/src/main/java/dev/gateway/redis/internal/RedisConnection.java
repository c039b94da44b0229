package dev.gateway.redis.internal;

import dev.gateway.core.config.AuthSettings;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.MaintNotificationsConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions.RefreshTrigger;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One multiplexed Lettuce connection to the Redis that {@code storage} names, in the topology it names:
 * <ul>
 *   <li><b>Cluster</b> when {@code enable_cluster}: {@code addrs} (or {@code host:port}) seed it, commands go to the
 *       master of their key's slot, and the topology is refreshed on MOVED/ASK, on repeated reconnects, on a
 *       slot or node it does not know (at most every {@value #ADAPTIVE_REFRESH_MS} ms), and every
 *       {@value #TOPOLOGY_REFRESH_SECONDS} s;</li>
 *   <li><b>Sentinel</b> when {@code master_name} is set: {@code addrs} are the sentinels (with
 *       {@code sentinel_password}), asked for the master at every (re)connect, so a failover is followed;</li>
 *   <li><b>standalone</b> otherwise: {@code addrs[0]}, or {@code host:port}.</li>
 * </ul>
 *
 * <p>Every command fails fast rather than waiting while Redis is away: a command issued while disconnected is
 * rejected at once ({@code REJECT_COMMANDS}, where Lettuce's default would queue it until the connection returns),
 * one that Redis does not answer fails after {@code timeout} seconds, and at most {@value #REQUEST_QUEUE_SIZE}
 * commands wait for answers. Lettuce reconnects by itself, retrying at most {@value #MAX_RECONNECT_DELAY_MS} ms
 * apart, so the stores serve again within about a second of Redis coming back, without being recreated.
 *
 * <p>Commands complete on Lettuce's own I/O threads ({@value #IO_THREADS}), never the gateway's event loops; the
 * resources are shut down with the connection.
 */
public final class RedisConnection implements AutoCloseable {

    /**
     * Lettuce's I/O threads, and as many for its timers and events: one connection (a socket per cluster master)
     * needs little; two ride out a slow one.
     */
    static final int IO_THREADS = 2;

    /**
     * Commands sent and not yet answered, at most. A Redis that stalls would otherwise have every request's command
     * wait in memory until the timeout; past this bound a command fails at once, and the request with it (503).
     */
    static final int REQUEST_QUEUE_SIZE = 65_536;

    /** The longest wait between reconnect attempts: after Redis returns, the stores serve within about this. */
    static final long MAX_RECONNECT_DELAY_MS = 1_000;

    /** The cluster topology is read again this often even when nothing suggests it changed. */
    static final long TOPOLOGY_REFRESH_SECONDS = 30;

    /**
     * The shortest time between two topology refreshes that an event triggers (Lettuce's default is 5 s). When a
     * master dies, the reconnects to it trigger a refresh within a second, before its replica is promoted; the next
     * may only come this much later, and until then its slots fail. With Lettuce's 5 s the store served a killed
     * master's slots again about 6 s after the kill in the tests; with 1 s, about 3 s after it.
     * A refresh asks each node for {@code CLUSTER NODES}: once a second during an outage costs Redis nothing.
     */
    static final long ADAPTIVE_REFRESH_MS = 1_000;

    private static final int DEFAULT_PORT = 6379;

    /**
     * One write to the socket for the commands that queued up while Lettuce's event loop was busy, instead of one
     * per command. Every request's command comes from a gateway event loop, so each is a task on Lettuce's loop that
     * writes and flushes: under load, a {@code send} per command. Netty's {@link FlushConsolidationHandler} holds a
     * flush made outside a read until the loop's pending tasks have run (or 256 flushes), then flushes once.
     */
    private static final NettyCustomizer CONSOLIDATE_FLUSHES = new NettyCustomizer() {
        @Override
        public void afterChannelInitialized(Channel channel) {
            channel.pipeline().addFirst(new FlushConsolidationHandler(
                    FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        }
    };

    /** Keys are text (Tyk's names), values bytes (session JSON, counters, script arguments). */
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final StatefulConnection<String, byte[]> connection;
    private final RedisClusterAsyncCommands<String, byte[]> commands;
    private final String description;

    private RedisConnection(ClientResources resources, AbstractRedisClient client,
            StatefulConnection<String, byte[]> connection, RedisClusterAsyncCommands<String, byte[]> commands,
            String description) {
        this.resources = resources;
        this.client = client;
        this.connection = connection;
        this.commands = commands;
        this.description = description;
    }

    /**
     * Connects, waiting up to {@code timeout} seconds for Redis to answer.
     *
     * @throws IOException when Redis cannot be reached or refuses the credentials, an address is not
     *     {@code host:port}, or a TLS file cannot be read
     */
    public static RedisConnection open(AuthSettings.Storage storage) throws IOException {
        Duration timeout = Duration.ofSeconds(storage.timeout());
        List<HostPort> nodes;
        try {
            nodes = nodes(storage);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        String description = describe(storage, nodes);
        ClientResources resources = DefaultClientResources.builder()
                .ioThreadPoolSize(IO_THREADS)
                .computationThreadPoolSize(IO_THREADS)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofMillis(MAX_RECONNECT_DELAY_MS),
                        2, TimeUnit.MILLISECONDS))
                .nettyCustomizer(CONSOLIDATE_FLUSHES)
                .build();
        AbstractRedisClient client = null;
        try {
            if (storage.enableCluster()) {
                RedisClusterClient cluster = RedisClusterClient.create(resources, clusterSeeds(storage, nodes));
                client = cluster;
                cluster.setOptions(clusterOptions(storage, timeout));
                StatefulRedisClusterConnection<String, byte[]> c = cluster.connect(CODEC);
                return new RedisConnection(resources, cluster, c, c.async(), description);
            }
            RedisClient single = RedisClient.create(resources, singleUri(storage, nodes, timeout));
            client = single;
            single.setOptions(options(ClientOptions.builder(), storage, timeout).build());
            StatefulRedisConnection<String, byte[]> c = single.connect(CODEC);
            return new RedisConnection(resources, single, c, c.async(), description);
        } catch (RedisException | IllegalArgumentException | IllegalStateException e) {
            shutDown(client, resources, timeout);
            throw new IOException("Redis (" + description + ") did not answer: " + rootMessage(e), e);
        } catch (IOException e) {
            shutDown(client, resources, timeout);
            throw e;
        }
    }

    private static void shutDown(AbstractRedisClient client, ClientResources resources, Duration timeout) {
        if (client != null) {
            client.shutdown(Duration.ZERO, timeout);
        }
        resources.shutdown(0, timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The commands; on a cluster each goes to the master of its key's slot, and SCAN walks every master. */
    public RedisClusterAsyncCommands<String, byte[]> commands() {
        return commands;
    }

    /** The topology and addresses, for logs: {@code standalone 127.0.0.1:6379 db 0}. */
    public String description() {
        return description;
    }

    public boolean isOpen() {
        return connection.isOpen();
    }

    /**
     * Subscribes {@code listener} to {@code channel} on a connection of its own (Lettuce subscribes again after a
     * reconnect); messages arrive on Lettuce's threads. Closing the result unsubscribes.
     */
    public AutoCloseable subscribe(String channel, Consumer<String> listener) {
        RedisPubSubAdapter<String, String> adapter = new RedisPubSubAdapter<>() {
            @Override
            public void message(String from, String message) {
                listener.accept(message);
            }
        };
        StatefulRedisPubSubConnection<String, String> pubSub = client instanceof RedisClusterClient cluster
                ? cluster.connectPubSub(StringCodec.UTF8) : ((RedisClient) client).connectPubSub(StringCodec.UTF8);
        pubSub.addListener(adapter);
        pubSub.sync().subscribe(channel);
        return pubSub::close;
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    // ---- options --------------------------------------------------------------------------------------------------

    private static <B extends ClientOptions.Builder> B options(B builder, AuthSettings.Storage storage,
            Duration timeout) throws IOException {
        builder.autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(REQUEST_QUEUE_SIZE)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).keepAlive(true).build())
                // Redis Enterprise's maintenance events, which Lettuce 7 asks every server for (and logs at INFO
                // on each connect that it got none): no open-source Redis sends them.
                .maintNotificationsConfig(MaintNotificationsConfig.disabled());
        if (storage.useSsl()) {
            builder.sslOptions(ssl(storage));
        }
        return builder;
    }

    private static ClusterClientOptions clusterOptions(AuthSettings.Storage storage, Duration timeout)
            throws IOException {
        ClusterClientOptions.Builder builder = options(ClusterClientOptions.builder(), storage, timeout);
        builder.topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                .enablePeriodicRefresh(Duration.ofSeconds(TOPOLOGY_REFRESH_SECONDS))
                .enableAdaptiveRefreshTrigger(RefreshTrigger.MOVED_REDIRECT, RefreshTrigger.ASK_REDIRECT,
                        RefreshTrigger.PERSISTENT_RECONNECTS, RefreshTrigger.UNCOVERED_SLOT,
                        RefreshTrigger.UNKNOWN_NODE)
                .adaptiveRefreshTriggersTimeout(Duration.ofMillis(ADAPTIVE_REFRESH_MS))
                .build());
        return builder.build();
    }

    private static SslOptions ssl(AuthSettings.Storage storage) throws IOException {
        SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider()
                .protocols(TlsVersions.protocols(storage.tlsMinVersion(), storage.tlsMaxVersion()));
        if (!storage.caFile().isEmpty()) {
            ssl.trustManager(readable(storage.caFile(), "ca_file"));
        }
        if (!storage.certFile().isEmpty() || !storage.keyFile().isEmpty()) {
            ssl.keyManager(readable(storage.certFile(), "cert_file"), readable(storage.keyFile(), "key_file"), null);
        }
        return ssl.build();
    }

    private static File readable(String path, String field) throws IOException {
        File file = new File(path);
        if (!file.canRead()) {
            throw new IOException("storage." + field + " " + path + " cannot be read");
        }
        return file;
    }

    // ---- addresses ------------------------------------------------------------------------------------------------

    /** {@code host:port} of one node; IPv6 literals in brackets. */
    record HostPort(String host, int port) {
        static HostPort parse(String address) {
            int colon = address.lastIndexOf(':');
            boolean bracketed = address.startsWith("[");
            if (colon < 0 || (bracketed && colon < address.indexOf(']'))) {
                return new HostPort(unbracket(address), DEFAULT_PORT);
            }
            try {
                return new HostPort(unbracket(address.substring(0, colon)),
                        Integer.parseInt(address.substring(colon + 1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("storage.addrs: " + address + " is not host:port", e);
            }
        }

        private static String unbracket(String host) {
            return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        }

        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    static List<HostPort> nodes(AuthSettings.Storage storage) {
        if (storage.addrs().isEmpty()) {
            return List.of(new HostPort(storage.host(), storage.port()));
        }
        List<HostPort> nodes = new ArrayList<>();
        for (String address : storage.addrs()) {
            nodes.add(HostPort.parse(address.trim()));
        }
        return nodes;
    }

    private static RedisURI singleUri(AuthSettings.Storage storage, List<HostPort> nodes, Duration timeout) {
        RedisURI.Builder uri;
        if (storage.masterName().isEmpty()) {
            uri = RedisURI.builder().withHost(nodes.get(0).host()).withPort(nodes.get(0).port());
        } else {
            uri = RedisURI.builder().withSentinelMasterId(storage.masterName());
            for (HostPort sentinel : nodes) {
                RedisURI.Builder node = RedisURI.builder().withHost(sentinel.host()).withPort(sentinel.port())
                        .withSsl(storage.useSsl()).withVerifyPeer(verifyMode(storage)).withTimeout(timeout);
                if (!storage.sentinelPassword().isEmpty()) {
                    node.withPassword(storage.sentinelPassword().toCharArray());
                }
                uri.withSentinel(node.build());
            }
        }
        return common(uri, storage, timeout).withDatabase(storage.database()).build();
    }

    private static List<RedisURI> clusterSeeds(AuthSettings.Storage storage, List<HostPort> nodes) {
        Duration timeout = Duration.ofSeconds(storage.timeout());
        List<RedisURI> seeds = new ArrayList<>();
        for (HostPort node : nodes) {
            seeds.add(common(RedisURI.builder().withHost(node.host()).withPort(node.port()), storage, timeout)
                    .build());
        }
        return seeds;
    }

    /** Credentials, TLS and the timeout, for data nodes. */
    private static RedisURI.Builder common(RedisURI.Builder uri, AuthSettings.Storage storage, Duration timeout) {
        if (!storage.username().isEmpty()) {
            uri.withAuthentication(storage.username(), storage.password().toCharArray());
        } else if (!storage.password().isEmpty()) {
            uri.withPassword(storage.password().toCharArray());
        }
        return uri.withSsl(storage.useSsl()).withVerifyPeer(verifyMode(storage)).withTimeout(timeout);
    }

    private static SslVerifyMode verifyMode(AuthSettings.Storage storage) {
        return storage.sslInsecureSkipVerify() ? SslVerifyMode.NONE : SslVerifyMode.FULL;
    }

    private static String describe(AuthSettings.Storage storage, List<HostPort> nodes) {
        String tls = storage.useSsl() ? (storage.sslInsecureSkipVerify() ? ", TLS unverified" : ", TLS") : "";
        if (storage.enableCluster()) {
            return "cluster seeded by " + nodes + tls;
        }
        if (!storage.masterName().isEmpty()) {
            return "Sentinel master " + storage.masterName() + " via " + nodes + " db " + storage.database() + tls;
        }
        return "standalone " + nodes.get(0) + " db " + storage.database() + tls;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root.getMessage() + ")";
    }
}
