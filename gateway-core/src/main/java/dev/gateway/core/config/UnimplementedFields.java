package dev.gateway.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Tyk fields that we parse but that have no effect yet. A user who sets one gets exactly one warning at load,
 * naming the field, instead of silently different behaviour. The issue that implements a field deletes its
 * line here.
 */
final class UnimplementedFields {

    /** In an API definition. */
    static final List<String> API = List.of(
            "/proxy/transport/ssl_ciphers",
            "/proxy/transport/ssl_min_version",
            "/proxy/transport/ssl_max_version",
            "/proxy/transport/proxy_url",
            "/upstream_certificates",
            "/pinned_public_keys");

    /**
     * Tyk's authentication modes this gateway does not have. An API that asks for one is refused at load rather
     * than served with less protection than it asked for.
     */
    static final List<String> UNSUPPORTED_AUTH = List.of(
            "/use_oauth2",
            "/external_oauth/enabled",
            "/enable_jwt",
            "/enable_signature_checking",
            "/use_openid",
            "/enable_coprocess_auth",
            "/use_go_plugin_auth",
            "/custom_plugin_auth_enabled");

    private UnimplementedFields() {
    }

    /** The pointers among {@code candidates} that {@code root} sets to something other than an empty value. */
    static List<String> setIn(JsonNode root, List<String> candidates) {
        List<String> set = new ArrayList<>();
        for (String pointer : candidates) {
            if (isSet(root.at(pointer))) {
                set.add(pointer);
            }
        }
        return set;
    }

    private static boolean isSet(JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return false;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isNumber()) {
            return node.doubleValue() != 0;
        }
        if (node.isTextual()) {
            return !node.textValue().isBlank();
        }
        return !node.isEmpty();
    }
}
