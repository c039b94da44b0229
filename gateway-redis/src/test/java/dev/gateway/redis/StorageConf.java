package dev.gateway.redis;

import dev.gateway.core.config.AuthSettings;
import dev.gateway.core.config.ConfigLoader;
import dev.gateway.core.config.LoadProblem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A {@code storage} section read the way the gateway reads it: from a {@code tyk.conf} on disk. */
public final class StorageConf {

    private StorageConf() {
    }

    /** {@code storageJson} is the object under {@code "storage"}. */
    public static AuthSettings.Storage read(Path dir, String storageJson) throws Exception {
        Path conf = Files.createTempFile(dir, "tyk", ".conf");
        Files.writeString(conf, "{\"listen_port\": 8080, \"storage\": " + storageJson + "}");
        List<LoadProblem> warnings = new ArrayList<>();
        return ConfigLoader.loadGatewayConfig(conf, warnings).auth().storage();
    }

    /** A standalone Redis on loopback, with a command timeout of {@code timeoutSeconds}. */
    public static AuthSettings.Storage standalone(Path dir, int port, int timeoutSeconds) throws Exception {
        return read(dir, "{\"type\": \"redis\", \"host\": \"127.0.0.1\", \"port\": " + port + ", \"timeout\": "
                + timeoutSeconds + "}");
    }
}
