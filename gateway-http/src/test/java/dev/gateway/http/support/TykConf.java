package dev.gateway.http.support;

/**
 * A {@code tyk.conf} for a test. The defaults keep a broken test from hanging on Tyk's 120 s and 30 s timeouts;
 * {@code listen_port} is only a name here, since the harness binds every listener on an ephemeral port.
 */
public final class TykConf extends JsonDoc {

    /** The configured gateway port; never bound, the harness binds port 0 in its place. */
    public static final int LISTEN_PORT = 8080;

    private TykConf() {
    }

    public static TykConf defaults() {
        TykConf conf = new TykConf();
        conf.put("listen_port", LISTEN_PORT)
                .put("app_path", "apps/")
                .put("proxy_default_timeout", 10)
                .put("http_server_options.read_timeout", 30)
                .put("http_server_options.write_timeout", 30);
        return conf;
    }

    @Override
    public TykConf put(String dottedPath, Object value) {
        super.put(dottedPath, value);
        return this;
    }

    /** Sets one field of {@code http_server_options}. */
    public TykConf http(String field, Object value) {
        return put("http_server_options." + field, value);
    }
}
