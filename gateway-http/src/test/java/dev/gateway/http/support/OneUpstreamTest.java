package dev.gateway.http.support;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A test class whose tests each get a configuration folder and one fresh upstream named {@code up}. */
public abstract class OneUpstreamTest {

    @TempDir
    protected Path dir;

    protected TestUpstream upstream;

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = TestUpstream.start("up");
    }

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }
}
