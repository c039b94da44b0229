package dev.gateway.core.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A configuration folder as a user would lay it out: {@code tyk.conf}, an {@code apps/} folder of API definition
 * files, and whatever certificate files the test copies in. Files are written whole, through a temporary file and
 * a rename, so a reload never reads half a file.
 */
public final class ConfFolder {

    public static final ObjectMapper JSON = new ObjectMapper();

    /** The folder itself; certificate paths in the files are relative to it. */
    public final Path dir;
    /** {@code tyk.conf}, what the gateway is started with. */
    public final Path conf;
    /** {@code apps/}, the {@code app_path} of {@link #tykConf()}. */
    public final Path apps;

    public ConfFolder(Path dir) {
        this.dir = dir;
        this.conf = dir.resolve("tyk.conf");
        this.apps = dir.resolve("apps");
        try {
            Files.createDirectories(apps);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A {@code tyk.conf} with {@code app_path} set to the apps folder; the test adds the rest. */
    public static ObjectNode tykConf() {
        ObjectNode conf = JSON.createObjectNode();
        conf.put("app_path", "apps/");
        return conf;
    }

    /** A keyless HTTP API that strips its listen path and proxies to {@code targetUrl}. */
    public static ObjectNode api(String id, String listenPath, String targetUrl) {
        ObjectNode api = JSON.createObjectNode();
        api.put("api_id", id);
        api.put("name", "test API " + id);
        api.put("use_keyless", true);
        ObjectNode proxy = api.putObject("proxy");
        proxy.put("listen_path", listenPath);
        proxy.put("target_url", targetUrl);
        proxy.put("strip_listen_path", true);
        return api;
    }

    public ConfFolder writeConf(ObjectNode conf) {
        return writeConf(conf.toPrettyString());
    }

    public ConfFolder writeConf(String text) {
        write(conf, text);
        return this;
    }

    /** Writes {@code apps/<file>}. */
    public ConfFolder writeApi(String file, ObjectNode api) {
        return writeApi(file, api.toPrettyString());
    }

    public ConfFolder writeApi(String file, String text) {
        write(apps.resolve(file), text);
        return this;
    }

    public ConfFolder removeApi(String file) {
        try {
            Files.delete(apps.resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Copies a test certificate file into {@code relative} (against the folder), keeping its name's meaning. */
    public ConfFolder copy(Path source, String relative) {
        try {
            Path target = dir.resolve(relative);
            Files.createDirectories(target.getParent());
            Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /**
     * Serves the gateway's own port of {@code conf} over TLS, with the test localhost certificate copied in as
     * {@code certs/localhost.pem} and {@code .key}; clients trust it through {@link TestTls#trustingTestCa()}.
     *
     * @return {@code conf}'s {@code http_server_options}, for more options
     */
    public ObjectNode serveTls(ObjectNode conf) {
        copy(TestCerts.localhostPem(), "certs/localhost.pem").copy(TestCerts.localhostKey(), "certs/localhost.key");
        ObjectNode options = conf.has("http_server_options") ? (ObjectNode) conf.get("http_server_options")
                : conf.putObject("http_server_options");
        options.put("use_ssl", true);
        options.putArray("certificates").addObject()
                .put("domain_name", "localhost")
                .put("cert_file", "certs/localhost.pem")
                .put("key_file", "certs/localhost.key");
        return options;
    }

    private static void write(Path file, String text) {
        try {
            Path partial = file.resolveSibling(file.getFileName() + ".partial");
            Files.writeString(partial, text);
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
