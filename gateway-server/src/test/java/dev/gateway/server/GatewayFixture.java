package dev.gateway.server;

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

    static String url(int port, String path) {
        return "http://127.0.0.1:" + port + path;
    }
}
