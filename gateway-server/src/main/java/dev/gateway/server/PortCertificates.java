package dev.gateway.server;

import dev.gateway.core.config.ConfigException;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.HttpServerOptions;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.snapshot.ApiInputs;
import dev.gateway.core.snapshot.GatewaySnapshot;
import dev.gateway.core.snapshot.ListenerPlan;
import dev.gateway.core.snapshot.ListenerProtocol;
import dev.gateway.core.tls.certificates.ServerCertificates;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The TLS contexts of each HTTPS and TLS port by SNI name, kept from one reload to the next while nothing they are
 * made of changed: the port's protocol, for each of its APIs in order its {@code certificates} and
 * {@code client_certificates} and whether it uses mutual TLS, the digests of those files (read again at every
 * full reload, so a certificate replaced in place is picked up), and on the gateway's own port {@code tyk.conf}'s
 * certificates and their digests. Building contexts is the dearest part of a compile; a reload that changes an API's
 * listen path on a port of twenty certificates builds none of them. Kept contexts also keep their TLS sessions. A
 * port whose plan is the one in service, the same instance (a targeted reload did not touch it), keeps its contexts
 * without reading anything.
 * Not thread-safe: {@link Listeners} calls it under the gateway's lock.
 */
final class PortCertificates {

    /** What an API gives its port's contexts. */
    private record ApiTls(String apiId, String fileName, List<String> certificates, boolean mutualTls,
            List<String> clientCertificates, Map<String, String> files) {
    }

    /** Everything a port's contexts are built from, besides {@code tyk.conf}'s settings, fixed while running. */
    private record Key(ListenerProtocol protocol, boolean gatewayPort, List<ApiTls> apis,
            Map<String, String> gatewayFiles) {
    }

    private record Built(ListenerPlan plan, Key key, Mapping<String, SslContext> mapping) {
    }

    private final GatewayConfig config;
    private final Path confDir;
    /** Each TLS port's contexts as in service, changed in place when a reload is applied. */
    private final Map<Integer, Built> inService = new HashMap<>();
    /** The ports this reload built or kept, not yet in service. */
    private Map<Integer, Built> next = new HashMap<>();

    PortCertificates(GatewayConfig config, Path confDir) {
        this.config = config;
        this.confDir = confDir;
    }

    /** A snapshot is about to be applied. */
    void begin() {
        next = new HashMap<>();
    }

    /**
     * The snapshot is in service, and with it the contexts this reload built or kept; those of ports it does not
     * serve with TLS go. A port the reload did not ask for, whose plan is still in service, keeps its contexts.
     */
    void applied(Map<Integer, ListenerPlan> plans) {
        inService.putAll(next);
        inService.entrySet().removeIf(port -> {
            ListenerPlan plan = plans.get(port.getKey());
            return plan == null || !plan.protocol().isTls() || !next.containsKey(port.getKey())
                    && port.getValue().plan() != plan;
        });
    }

    /**
     * A port's contexts by SNI name, as they were when nothing they are made of changed, else built; {@code null} for
     * a cleartext port.
     *
     * @throws ConfigException naming the certificate that cannot be used
     */
    Mapping<String, SslContext> of(ListenerPlan plan, GatewaySnapshot snapshot) throws ConfigException {
        if (!plan.protocol().isTls()) {
            return null;
        }
        Built before = inService.get(plan.port());
        if (before != null && before.plan() == plan) {
            // A port a targeted reload did not touch: the same APIs, and no file read again.
            return before.mapping();
        }
        Key key = key(plan, snapshot);
        Mapping<String, SslContext> mapping = key != null && before != null && before.key().equals(key)
                ? before.mapping() : ServerCertificates.mapping(plan, config, confDir);
        if (key != null) {
            next.put(plan.port(), new Built(plan, key, mapping));
        }
        return mapping;
    }

    /** What the port's contexts are made of now; {@code null} when an API's inputs are unknown (never kept then). */
    private Key key(ListenerPlan plan, GatewaySnapshot snapshot) {
        List<ApiTls> apis = new ArrayList<>(plan.apis().size());
        for (LoadedApi loaded : plan.apis()) {
            ApiInputs inputs = snapshot.inputs(loaded.definition().apiId());
            if (inputs == null || inputs.digest().isEmpty()) {
                return null;
            }
            apis.add(new ApiTls(loaded.definition().apiId(), loaded.fileName(), loaded.definition().certificates(),
                    loaded.definition().useMutualTlsAuth(), loaded.definition().clientCertificates(),
                    inputs.files()));
        }
        return new Key(plan.protocol(), plan.gatewayPort(), apis, plan.gatewayPort() ? gatewayFiles() : Map.of());
    }

    /** The digests of {@code http_server_options}' certificate files, which the gateway's own port serves. */
    private Map<String, String> gatewayFiles() {
        Map<String, String> files = new HashMap<>();
        HttpServerOptions http = config.httpServerOptions();
        for (HttpServerOptions.ServerCertificate pair : http.certificates()) {
            ApiInputs.digest(confDir, pair.certFile(), files);
            ApiInputs.digest(confDir, pair.keyFile(), files);
        }
        ApiInputs.pemFiles(http.sslCertificates(), confDir, files);
        return files;
    }
}
