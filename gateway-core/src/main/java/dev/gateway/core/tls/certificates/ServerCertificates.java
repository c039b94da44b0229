package dev.gateway.core.tls.certificates;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.ConfigException;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.HttpServerOptions;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.snapshot.ListenerPlan;
import dev.gateway.core.snapshot.ListenerProtocol;
import dev.gateway.core.tls.ClientCertificateRequest;
import dev.gateway.core.tls.ClientCertificates;
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
 * serves; and the client certificates its contexts ask for, where APIs set {@code use_mutual_tls_auth}. Relative
 * paths are resolved against the folder of {@code tyk.conf}.
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
        ClientCertificateRequest clients = clientRequest(plan, confDir);
        try {
            // ALPN h2 only where HTTP/2 is served: a tls port relays bytes and offers no application protocol.
            return TlsContexts.serverMapping(pairs, config.httpServerOptions().minVersion(),
                    plan.protocol().isHttp() && config.httpServerOptions().enableHttp2(), clients);
        } catch (IOException e) {
            throw new ConfigException(LoadProblem.error(confFile, "", "", reason(e)));
        }
    }

    /**
     * How an HTTPS port asks for client certificates, as Tyk decides it for a domain: not at all when no API on it
     * sets {@code use_mutual_tls_auth}; required, from the union of their {@code client_certificates}, when every
     * API on it does (a client without an accepted certificate fails the handshake); asked for but not judged when
     * only some do, so that the others still serve clients without one, and each mTLS API's request filter judges.
     *
     * @throws ConfigException naming the {@code client_certificates} entry that cannot be read
     */
    public static ClientCertificateRequest clientRequest(ListenerPlan plan, Path confDir) throws ConfigException {
        List<ClientCertificates> accepted = new ArrayList<>();
        for (LoadedApi api : plan.apis()) {
            if (api.definition().useMutualTlsAuth()) {
                accepted.add(clientCertificates(api, confDir));
            }
        }
        if (accepted.isEmpty()) {
            return ClientCertificateRequest.NONE;
        }
        return accepted.size() == plan.apis().size()
                ? ClientCertificateRequest.required(ClientCertificates.union(accepted))
                : ClientCertificateRequest.optional();
    }

    /**
     * The client certificates an API with {@code use_mutual_tls_auth} accepts.
     *
     * @throws ConfigException naming the entry ({@code /client_certificates/N}) that cannot be read, or the field
     *     when it lists none
     */
    public static ClientCertificates clientCertificates(LoadedApi loaded, Path confDir) throws ConfigException {
        ApiDefinition api = loaded.definition();
        List<String> entries = api.clientCertificates();
        if (entries.isEmpty()) {
            throw new ConfigException(LoadProblem.error(loaded.fileName(), "/client_certificates", api.apiId(),
                    "use_mutual_tls_auth needs client_certificates to accept"));
        }
        List<ClientCertificates.Entry> read = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            try {
                read.add(ClientCertificates.read(entries.get(i), confDir));
            } catch (IOException e) {
                throw new ConfigException(LoadProblem.error(loaded.fileName(), "/client_certificates/" + i,
                        api.apiId(), e.getMessage()));
            }
        }
        return ClientCertificates.of(read);
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
            ClientCertificateRequest clients = api.useMutualTlsAuth()
                    ? ClientCertificateRequest.required(clientCertificates(loaded, confDir))
                    : ClientCertificateRequest.NONE;
            for (int i = 0; i < api.certificates().size(); i++) {
                try {
                    PemKeyPair pair = PemKeyPair.fromPath(confDir.resolve(api.certificates().get(i)));
                    SslContext context = TlsContexts.server(pair, minVersion, false, clients);
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
