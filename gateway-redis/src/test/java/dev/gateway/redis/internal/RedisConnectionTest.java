package dev.gateway.redis.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.redis.StorageConf;
import dev.gateway.redis.internal.RedisConnection.HostPort;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisConnectionTest {

    @TempDir
    Path dir;

    @Test
    void addrsAreHostColonPortWithIpv6InBrackets() {
        assertEquals(new HostPort("10.0.0.1", 6380), HostPort.parse("10.0.0.1:6380"));
        assertEquals(new HostPort("::1", 7000), HostPort.parse("[::1]:7000"));
        assertEquals(new HostPort("redis", 6379), HostPort.parse("redis"));
        assertEquals("[::1]:7000", HostPort.parse("[::1]:7000").toString());
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("redis:port"));
    }

    @Test
    void addrsWinOverHostAndPort() throws Exception {
        assertEquals(List.of(new HostPort("a", 1), new HostPort("b", 2)), RedisConnection.nodes(StorageConf.read(dir,
                "{\"host\": \"h\", \"port\": 9, \"addrs\": [\"a:1\", \" b:2\"]}")));
        assertEquals(List.of(new HostPort("h", 9)), RedisConnection.nodes(StorageConf.read(dir,
                "{\"host\": \"h\", \"port\": 9}")));
    }

    @Test
    void aMalformedAddressOrAnUnreadableTlsFileFailsToConnectNamingIt() throws Exception {
        IOException address = assertThrows(IOException.class, () -> RedisConnection.open(StorageConf.read(dir,
                "{\"type\": \"redis\", \"addrs\": [\"redis:port\"]}")));
        assertTrue(address.getMessage().contains("redis:port"), address.getMessage());

        IOException ca = assertThrows(IOException.class, () -> RedisConnection.open(StorageConf.read(dir,
                "{\"type\": \"redis\", \"use_ssl\": true, \"ca_file\": \"/nonexistent/ca.pem\"}")));
        assertTrue(ca.getMessage().contains("storage.ca_file /nonexistent/ca.pem"), ca.getMessage());
    }

    @Test
    void tlsVersionsAreTyksNumbersFlooredAtTls12() {
        assertArrayEquals(new String[] {"TLSv1.2", "TLSv1.3"}, TlsVersions.protocols("1.0", "1.3"));
        assertArrayEquals(new String[] {"TLSv1.3"}, TlsVersions.protocols("1.3", "1.3"));
        assertArrayEquals(new String[] {"TLSv1.2"}, TlsVersions.protocols("1.2", "1.2"));
        assertThrows(IllegalArgumentException.class, () -> TlsVersions.protocols("1.3", "1.2"));
    }
}
