package dev.gateway.core.snapshot;

/** The protocol family of one bound port. All APIs on a port share one family. */
public enum ListenerProtocol {
    HTTP("http"),
    HTTPS("https"),
    TCP("tcp"),
    TLS("tls");

    private final String configName;

    ListenerProtocol(String configName) {
        this.configName = configName;
    }

    /** The name Tyk's configuration uses for this family. */
    public String configName() {
        return configName;
    }

    public boolean isHttp() {
        return this == HTTP || this == HTTPS;
    }

    public boolean isTls() {
        return this == HTTPS || this == TLS;
    }

    /** The family of an API's {@code protocol} field; {@code h2c} is cleartext HTTP. */
    static ListenerProtocol ofApiProtocol(String protocol) {
        return switch (protocol) {
            case "https" -> HTTPS;
            case "tcp" -> TCP;
            case "tls" -> TLS;
            default -> HTTP;
        };
    }
}
