package dev.gateway.tcp;

import dev.gateway.core.testing.CapturedLog;
import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.tcp.support.TcpProxyUnderTest;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the TCP service tests share: a configuration folder, the captured log, and the closer that ends whatever a
 * test started. An API's {@code listen_port} is a name; the proxy binds port 0 for it.
 */
abstract class TcpFixture {

    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();
    ConfFolder folder;
    CapturedLog log;

    @BeforeEach
    void setUpFixture() {
        folder = new ConfFolder(dir);
        log = closer.later(CapturedLog.attach());
    }

    /** Loads the folder's configuration and binds its TCP and TLS listeners; closed when the test ends. */
    TcpProxyUnderTest start() throws Exception {
        return closer.later(TcpProxyUnderTest.start(folder.conf));
    }
}
