package dev.gateway.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import java.io.UncheckedIOException;

/**
 * API definitions with endpoint plugins, as the end-to-end plugin tests write them: one version, {@code Default},
 * with {@code use_extended_paths} on, whose members a test sets from JSON text as Tyk's files hold them.
 */
final class PluginApis {

    private PluginApis() {
    }

    /**
     * A keyless API in front of a gRPC upstream on loopback, its listen path left on the call's path: {@code /} for
     * every service, or {@code /package.Service} for one.
     */
    static ObjectNode grpcApi(String id, String listenPath, int upstreamPort) {
        ObjectNode api = ConfFolder.api(id, listenPath, "h2c://127.0.0.1:" + upstreamPort);
        ((ObjectNode) api.get("proxy")).put("strip_listen_path", false);
        return api;
    }

    /**
     * Adds {@code members} (JSON object members without the braces, such as {@code "extended_paths": {...}}, as the
     * docs' fragments are written) to {@code api}'s {@code Default} version, which is made on first use.
     */
    static ObjectNode withVersionMembers(ObjectNode api, String members) {
        version(api).setAll(object("{" + members + "}"));
        return api;
    }

    /** {@code api}'s {@code Default} version, made with {@code use_extended_paths} on when it is not there yet. */
    static ObjectNode version(ObjectNode api) {
        if (!api.has("version_data")) {
            ObjectNode data = api.putObject("version_data").put("not_versioned", true);
            data.putObject("versions").putObject("Default").put("name", "Default").put("use_extended_paths", true);
        }
        return (ObjectNode) api.get("version_data").get("versions").get("Default");
    }

    static ObjectNode object(String json) {
        try {
            return (ObjectNode) ConfFolder.JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
