package dev.gateway.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpClient;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What in-process gateway tests share: a configuration folder, a captured log, one upstream, a client, and the
 * cleanup that stops whatever a test started.
 */
abstract class GatewayFixture {

    @TempDir
    Path dir;

    final Cleanup cleanup = new Cleanup();
    final HttpClient client = Net.client();
    ConfFolder folder;
    CapturedLog log;
    Upstream upstream;

    @BeforeEach
    void setUpFixture() throws Exception {
        folder = new ConfFolder(dir);
        log = cleanup.add(CapturedLog.attach());
        upstream = cleanup.upstream("up");
    }

    @AfterEach
    void tearDownFixture() throws Exception {
        cleanup.closeAll();
    }

    /**
     * A gateway whose own port speaks HTTP/2 as well (h2c, or h2 by ALPN over TLS with the test certificate), with
     * one API at {@code /api/} in front of the fixture's upstream.
     */
    Gateway http2Gateway(boolean tls) throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("http_server_options").put("enable_http2", true);
        if (tls) {
            folder.serveTls(conf);
        }
        folder.writeConf(conf).writeApi("api.json", ConfFolder.api("api", "/api/", upstream.url()));
        return cleanup.gateway(folder.conf);
    }

    static String url(int port, String path) {
        return "http://127.0.0.1:" + port + path;
    }
}
