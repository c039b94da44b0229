package dev.gateway.http.support;

import java.util.List;

/** A classic Tyk API definition for a test: keyless, active, not versioned. */
public final class TykApi extends JsonDoc {

    private final String apiId;

    private TykApi(String apiId) {
        this.apiId = apiId;
    }

    /** A keyless API on the gateway's port with listen path stripping on, Tyk's usual shape. */
    public static TykApi keyless(String apiId, String listenPath, String targetUrl) {
        TykApi api = new TykApi(apiId);
        api.put("name", "API " + apiId)
                .put("api_id", apiId)
                .put("org_id", "test-org")
                .put("use_keyless", true)
                .put("active", true)
                .put("proxy.listen_path", listenPath)
                .put("proxy.target_url", targetUrl)
                .put("proxy.strip_listen_path", true)
                .put("version_data.not_versioned", true)
                .put("version_data.versions.Default.name", "Default");
        return api;
    }

    public String apiId() {
        return apiId;
    }

    @Override
    public TykApi put(String dottedPath, Object value) {
        super.put(dottedPath, value);
        return this;
    }

    public TykApi domain(String domain) {
        return put("domain", domain);
    }

    public TykApi stripListenPath(boolean strip) {
        return put("proxy.strip_listen_path", strip);
    }

    public TykApi preserveHostHeader() {
        return put("proxy.preserve_host_header", true);
    }

    /** Round robin over the given targets ({@code enable_load_balancing} with a {@code target_list}). */
    public TykApi loadBalance(String... targets) {
        return put("proxy.enable_load_balancing", true).put("proxy.target_list", List.of(targets));
    }

    /** {@code proxy.transport.ssl_insecure_skip_verify}. */
    public TykApi skipUpstreamVerify() {
        return put("proxy.transport.ssl_insecure_skip_verify", true);
    }

    /** Its own port; the harness binds it on an ephemeral port and maps it. */
    public TykApi listenPort(int port) {
        return put("listen_port", port);
    }
}
