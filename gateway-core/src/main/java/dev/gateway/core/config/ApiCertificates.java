package dev.gateway.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gateway.core.tls.ClientCertificates;
import dev.gateway.core.tls.PemKeyPair;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The certificate files an API definition names, read at load so that one that cannot be used refuses the API there,
 * named by its JSON pointer, rather than its port at bind time or every client later.
 */
final class ApiCertificates {

    /** API protocols whose listener terminates TLS with the API's own {@code certificates}. */
    private static final Set<String> TLS_TERMINATING_PROTOCOLS = Set.of("https", "tls");

    private ApiCertificates() {
    }

    /**
     * Reads the certificates of an API that terminates TLS, so that one that cannot be used refuses the API at
     * load, naming the entry as the user spelled the field ({@code certificate} in Tyk's docs, {@code certificates}
     * in its code), rather than the port at bind time. Tyk's page writes {@code "<cert-id>"}, an id in Tyk's
     * certificate store, which has no meaning here. An {@code http} API never uses its certificates, so they are
     * not read.
     */
    static List<LoadProblem> check(ApiDefinition api, JsonNode tree, String file, Path confDir) {
        if (!TLS_TERMINATING_PROTOCOLS.contains(api.protocol())) {
            return List.of();
        }
        String field = certificateField(tree);
        boolean array = tree.path(field).isArray();
        List<LoadProblem> out = new ArrayList<>();
        for (int i = 0; i < api.certificates().size(); i++) {
            String entry = api.certificates().get(i);
            try {
                PemKeyPair.fromPath(confDir.resolve(entry));
            } catch (IOException | InvalidPathException e) {
                String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                out.add(LoadProblem.error(file, "/" + field + (array ? "/" + i : ""), api.apiId(), "'" + entry
                        + "' is not a readable PEM file (" + reason + "); " + PemKeyPair.EXPECTED_ENTRY));
            }
        }
        return out;
    }

    /**
     * Reads the {@code client_certificates} of an API that sets {@code use_mutual_tls_auth}, so that an entry that
     * cannot be used refuses the API at load, named by its pointer, rather than every client later.
     */
    static void checkClients(ApiDefinition api, String file, Path confDir, List<LoadProblem> out) {
        if (!api.useMutualTlsAuth()) {
            return;
        }
        if (api.clientCertificates().isEmpty()) {
            out.add(LoadProblem.error(file, "/client_certificates", api.apiId(),
                    "use_mutual_tls_auth needs client_certificates to accept"));
        }
        for (int i = 0; i < api.clientCertificates().size(); i++) {
            try {
                ClientCertificates.read(api.clientCertificates().get(i), confDir);
            } catch (IOException e) {
                out.add(LoadProblem.error(file, "/client_certificates/" + i, api.apiId(), e.getMessage()));
            }
        }
    }

    /** {@code certificate} or {@code certificates}, whichever the definition sets (the last one, as Jackson reads). */
    private static String certificateField(JsonNode tree) {
        String field = "certificates";
        for (var names = tree.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (name.equals("certificate") || name.equals("certificates")) {
                field = name;
            }
        }
        return field;
    }
}
