package dev.gateway.core.tls.certificates;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.ConfigException;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.HttpServerOptions;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.snapshot.ListenerPlan;
import dev.gateway.core.snapshot.ListenerProtocol;
import dev.gateway.core.tls.PemKeyPair;
import dev.gateway.core.tls.TlsContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The certificates of an HTTPS or TLS listener: on the gateway's own port those of {@code http_server_options}
 * ({@code certificates}, then {@code ssl_certificates}), then on any port the {@code certificates} of the APIs it
 * serves. Relative paths are resolved against the folder of {@code tyk.conf}.
 */
public final class ServerCertificates {

    private ServerCertificates() {
    }

    /**
     * The contexts of a listener by SNI name.
     *
     * @throws ConfigException naming the file and entry of a certificate that cannot be used, or the port when none
     *     is configured for it
     */
    public static Mapping<String, SslContext> mapping(ListenerPlan plan, GatewayConfig config, Path confDir)
            throws ConfigException {
        List<PemKeyPair> pairs = new ArrayList<>();
        String confFile = "tyk.conf";
        if (plan.gatewayPort()) {
            HttpServerOptions http = config.httpServerOptions();
            for (int i = 0; i < http.certificates().size(); i++) {
                HttpServerOptions.ServerCertificate entry = http.certificates().get(i);
                String pointer = "/http_server_options/certificates/" + i;
                try {
                    pairs.add(PemKeyPair.of(confDir.resolve(entry.certFile()), confDir.resolve(entry.keyFile())));
                } catch (IOException e) {
                    throw new ConfigException(LoadProblem.error(confFile, pointer, "", reason(e)));
                }
            }
            for (int i = 0; i < http.sslCertificates().size(); i++) {
                String pointer = "/http_server_options/ssl_certificates/" + i;
                try {
                    pairs.add(PemKeyPair.fromPath(confDir.resolve(http.sslCertificates().get(i))));
                } catch (IOException e) {
                    throw new ConfigException(LoadProblem.error(confFile, pointer, "", reason(e)));
                }
            }
        }
        for (LoadedApi api : plan.apis()) {
            List<String> certificates = api.definition().certificates();
            for (int i = 0; i < certificates.size(); i++) {
                try {
                    pairs.add(PemKeyPair.fromPath(confDir.resolve(certificates.get(i))));
                } catch (IOException e) {
                    throw new ConfigException(LoadProblem.error(api.fileName(), "/certificates/" + i,
                            api.definition().apiId(), reason(e)));
                }
            }
        }
        if (plan.protocol() == ListenerProtocol.TLS
                && plan.apis().stream().anyMatch(api -> api.definition().useMutualTlsAuth())) {
            return mutualTlsMapping(plan, config, confDir);
        }
        if (pairs.isEmpty()) {
            throw new ConfigException(LoadProblem.error(confFile, "", "", "port " + plan.port()
                    + " serves " + plan.protocol().configName() + " but no certificate is configured for it"));
        }
        try {
            // ALPN h2 only where HTTP/2 is served: a tls port relays bytes and offers no application protocol.
            return TlsContexts.serverMapping(pairs, config.httpServerOptions().minVersion(),
                    plan.protocol().isHttp() && config.httpServerOptions().enableHttp2());
        } catch (IOException e) {
            throw new ConfigException(LoadProblem.error(confFile, "", "", reason(e)));
        }
    }

    /**
     * A tls port where some API asks for client certificates: each API's certificates get contexts of their own,
     * requiring the API's {@code client_certificates} when it sets {@code use_mutual_tls_auth}, so the SNI that
     * picks the API's certificate also picks its client check.
     */
    private static Mapping<String, SslContext> mutualTlsMapping(ListenerPlan plan, GatewayConfig config,
            Path confDir) throws ConfigException {
        int minVersion = config.httpServerOptions().minVersion();
        DomainWildcardMappingBuilder<SslContext> builder = null;
        for (LoadedApi loaded : plan.apis()) {
            ApiDefinition api = loaded.definition();
            List<Path> allowed = api.clientCertificates().stream().map(confDir::resolve).toList();
            if (api.useMutualTlsAuth() && allowed.isEmpty()) {
                throw new ConfigException(LoadProblem.error(loaded.fileName(), "/client_certificates", api.apiId(),
                        "use_mutual_tls_auth needs client_certificates to accept"));
            }
            for (int i = 0; i < api.certificates().size(); i++) {
                try {
                    PemKeyPair pair = PemKeyPair.fromPath(confDir.resolve(api.certificates().get(i)));
                    SslContext context = api.useMutualTlsAuth()
                            ? TlsContexts.serverRequiringClients(pair, minVersion, allowed)
                            : TlsContexts.server(pair, minVersion);
                    if (builder == null) {
                        builder = new DomainWildcardMappingBuilder<>(context);
                    }
                    for (String name : pair.names()) {
                        builder.add(name.toLowerCase(Locale.ROOT), context);
                    }
                } catch (IOException e) {
                    throw new ConfigException(LoadProblem.error(loaded.fileName(), "/certificates/" + i,
                            api.apiId(), reason(e)));
                }
            }
        }
        if (builder == null) {
            throw new ConfigException(LoadProblem.error("tyk.conf", "", "", "port " + plan.port()
                    + " serves tls but no certificate is configured for it"));
        }
        return builder.build();
    }

    /** A missing file's exception message is its bare path; say what is wrong with it. */
    private static String reason(IOException e) {
        return e instanceof NoSuchFileException ? "file " + e.getMessage() + " does not exist" : e.getMessage();
    }
}
