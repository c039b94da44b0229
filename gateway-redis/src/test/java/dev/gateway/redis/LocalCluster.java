package dev.gateway.redis;

import static dev.gateway.redis.RedisSentinelTest.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.Ports;
import dev.gateway.core.testing.RedisServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A Redis Cluster of real {@code redis-server} processes on loopback, made by {@code redis-cli --cluster create}: some
 * masters, each with as many replicas as asked. The processes are closed by the test's {@link Closer}.
 */
final class LocalCluster {

    /** {@code redis-cli} assigns the roles; they are read back from each node once the cluster has formed. */
    private final Map<RedisServer, List<RedisServer>> replicasByMaster;

    private LocalCluster(Map<RedisServer, List<RedisServer>> replicasByMaster) {
        this.replicasByMaster = replicasByMaster;
    }

    /**
     * Starts {@code masters * (1 + replicasPerMaster)} servers, makes them a cluster and waits until every slot is
     * served and every replica is linked to its master. {@code nodeArgs} go to every server, such as
     * {@code --cluster-node-timeout 1000}.
     */
    static LocalCluster start(Closer closer, Path dir, int masters, int replicasPerMaster, String... nodeArgs)
            throws Exception {
        List<RedisServer> nodes = new ArrayList<>();
        List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        for (int i = 0; i < masters * (1 + replicasPerMaster); i++) {
            int port = Ports.freePort();
            List<String> args = new ArrayList<>(List.of("--cluster-enabled", "yes", "--cluster-config-file",
                    "nodes-" + port + ".conf", "--cluster-port", String.valueOf(Ports.freePort())));
            args.addAll(List.of(nodeArgs));
            nodes.add(closer.later(RedisServer.startOn(dir, port, args.toArray(String[]::new))));
            command.add("127.0.0.1:" + port);
        }
        command.addAll(List.of("--cluster-replicas", String.valueOf(replicasPerMaster), "--cluster-yes"));
        Process create = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("cluster-create.log").toFile()).start();
        assertTrue(create.waitFor(60, TimeUnit.SECONDS), "redis-cli --cluster create did not finish");
        assertEquals(0, create.exitValue(), "redis-cli --cluster create failed: see cluster-create.log");

        Map<Integer, RedisServer> byPort = nodes.stream().collect(Collectors.toMap(RedisServer::port, n -> n));
        Map<RedisServer, List<RedisServer>> replicasByMaster = new LinkedHashMap<>();
        Map<RedisServer, Integer> masterPortOf = new LinkedHashMap<>();
        for (RedisServer node : nodes) {
            try (RawRedis raw = new RawRedis(node.port())) {
                awaitTrue(() -> {
                    String info = raw.sync().clusterInfo();
                    return info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:" + nodes.size());
                }, 20, "the cluster formed");
                awaitTrue(() -> {
                    String replication = raw.sync().info("replication");
                    return replication.contains("role:master")
                            || replication.contains("master_link_status:up");
                }, 20, "the replica on " + node.port() + " linked to its master");
                String replication = raw.sync().info("replication");
                if (replication.contains("role:master")) {
                    replicasByMaster.put(node, new ArrayList<>());
                } else {
                    masterPortOf.put(node, Integer.parseInt(field(replication, "master_port")));
                }
            }
        }
        masterPortOf.forEach((replica, port) -> replicasByMaster.get(byPort.get(port)).add(replica));
        assertEquals(masters, replicasByMaster.size(), "masters: " + replicasByMaster);
        replicasByMaster.values().forEach(r -> assertEquals(replicasPerMaster, r.size(), "replicas of a master"));
        return new LocalCluster(replicasByMaster);
    }

    List<RedisServer> masters() {
        return List.copyOf(replicasByMaster.keySet());
    }

    List<RedisServer> replicasOf(RedisServer master) {
        return List.copyOf(replicasByMaster.get(master));
    }

    /** The slots {@code master} serves, from its own {@code CLUSTER NODES} line. */
    static BitSet slotsOf(RedisServer master) {
        BitSet slots = new BitSet();
        try (RawRedis raw = new RawRedis(master.port())) {
            String myself = raw.sync().clusterNodes().lines().filter(l -> l.contains("myself")).findFirst()
                    .orElseThrow();
            String[] fields = myself.split(" ");
            // id addr flags master ping-sent pong-recv epoch link-state, then slots: "0-5460" or "5461"
            for (int i = 8; i < fields.length; i++) {
                if (fields[i].startsWith("[")) {
                    continue; // a slot being imported or migrated
                }
                String[] range = fields[i].split("-");
                int from = Integer.parseInt(range[0]);
                slots.set(from, Integer.parseInt(range[range.length - 1]) + 1);
            }
        }
        return slots;
    }

    private static String field(String info, String name) {
        return info.lines().filter(l -> l.startsWith(name + ":")).findFirst().orElseThrow()
                .substring(name.length() + 1).trim();
    }
}
