package dev.gateway.tcp.support;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;

/** {@code tcp} and {@code tls} API definitions and the {@code tyk.conf} that allows their ports. */
public final class TcpApis {

    private TcpApis() {
    }

    /** A {@code tcp} API on its own {@code listenPort}, relaying to {@code target}. */
    public static ObjectNode tcpApi(String id, int listenPort, String target) {
        ObjectNode api = ConfFolder.JSON.createObjectNode();
        api.put("api_id", id);
        api.put("name", "tcp " + id);
        api.put("protocol", "tcp");
        api.put("listen_port", listenPort);
        api.putObject("proxy").put("target_url", target);
        return api;
    }

    /**
     * A {@code tls} API: TLS terminated with {@code certificate} (a PEM path against the configuration folder) for
     * clients asking for {@code domain} by SNI (any name when empty), then relayed to {@code target}.
     */
    public static ObjectNode tlsApi(String id, int listenPort, String domain, String certificate, String target) {
        ObjectNode api = tcpApi(id, listenPort, target);
        api.put("protocol", "tls").put("domain", domain);
        api.putArray("certificate").add(certificate);
        return api;
    }

    /** A {@code tyk.conf} whose {@code ports_whitelist} allows {@code ports} for tcp. */
    public static ObjectNode confAllowingTcp(int... ports) {
        ObjectNode conf = ConfFolder.tykConf();
        ArrayNode list = conf.putObject("ports_whitelist").putObject("tcp").putArray("ports");
        for (int port : ports) {
            list.add(port);
        }
        return conf;
    }

    /** A {@code tyk.conf} whose {@code ports_whitelist} allows {@code port} for tls. */
    public static ObjectNode confAllowingTls(int port) {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("ports_whitelist").putObject("tls").putArray("ports").add(port);
        return conf;
    }
}
