package dev.gateway.redis;

import static dev.gateway.redis.RedisSentinelTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.Session;
import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.Ports;
import dev.gateway.core.testing.RedisServer;
import dev.gateway.core.testing.TestCerts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** redis-server's own TLS port, with the committed test certificates (localhost and 127.0.0.1, signed by ca.pem). */
class RedisTlsTest {

    @RegisterExtension
    final Closer closer = new Closer();

    @TempDir
    Path dir;

    /**
     * Starts Redis with a TLS port beside its plain one (which tells the fixture it is up); returns the TLS port.
     * Client certificates must chain to ca.pem or be selfsigned.pem, the one test certificate without a server-only
     * key usage.
     */
    private int tlsRedis(boolean clientCertificates) throws Exception {
        int tlsPort = Ports.freePort();
        Path trusted = dir.resolve("trusted.pem");
        Files.writeString(trusted, Files.readString(TestCerts.caPem()) + Files.readString(TestCerts.selfSignedPem()));
        closer.later(RedisServer.start(dir, "--tls-port", String.valueOf(tlsPort),
                "--tls-cert-file", TestCerts.localhostPem().toString(),
                "--tls-key-file", TestCerts.localhostKey().toString(),
                "--tls-ca-cert-file", trusted.toString(),
                "--tls-auth-clients", clientCertificates ? "yes" : "no"));
        return tlsPort;
    }

    private String storage(int port, String tls) {
        return "{\"type\": \"redis\", \"host\": \"127.0.0.1\", \"port\": " + port + ", \"use_ssl\": true, "
                + "\"timeout\": 2" + tls + "}";
    }

    @Test
    void connectsOverVerifiedTlsWithTheConfiguredCa() throws Exception {
        int port = tlsRedis(false);
        RedisStorage redis = closer.later(RedisStorage.connect(StorageConf.read(dir, storage(port,
                ", \"ca_file\": \"" + TestCerts.caPem() + "\""))));

        assertRoundTrip(redis.keyStore());
        assertTrue(redis.description().endsWith(", TLS"), redis.description());
    }

    @Test
    void refusesAServerItCannotVerify() throws Exception {
        int port = tlsRedis(false);

        IOException failure = assertThrows(IOException.class,
                () -> RedisStorage.connect(StorageConf.read(dir, storage(port, ""))));

        assertTrue(failure.getMessage().contains("127.0.0.1:" + port), failure.getMessage());
    }

    @Test
    void skipsVerificationWhenToldTo() throws Exception {
        int port = tlsRedis(false);
        RedisStorage redis = closer.later(RedisStorage.connect(StorageConf.read(dir, storage(port,
                ", \"ssl_insecure_skip_verify\": true"))));

        assertRoundTrip(redis.keyStore());
    }

    @Test
    void presentsTheClientCertificateWhenRedisAsksForOne() throws Exception {
        int port = tlsRedis(true);
        String ca = ", \"ca_file\": \"" + TestCerts.caPem() + "\"";

        assertThrows(IOException.class, () -> RedisStorage.connect(StorageConf.read(dir, storage(port, ca))));
        RedisStorage redis = closer.later(RedisStorage.connect(StorageConf.read(dir, storage(port, ca
                + ", \"cert_file\": \"" + TestCerts.selfSignedPem() + "\", \"key_file\": \""
                + TestCerts.selfSignedKey() + "\""))));

        assertRoundTrip(redis.keyStore());
    }

    private static void assertRoundTrip(KeyStore keys) throws Exception {
        await(keys.put("apikey-tls", Session.empty()));
        assertEquals("{}", new String(await(keys.get("apikey-tls")).toJson()));
    }
}
