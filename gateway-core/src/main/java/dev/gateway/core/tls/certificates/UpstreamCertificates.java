package dev.gateway.core.tls.certificates;

import dev.gateway.core.config.ConfigException;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.lb.Target;
import dev.gateway.core.lb.TargetGroup;
import dev.gateway.core.tls.PemKeyPair;
import dev.gateway.core.tls.TlsContexts;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code upstream_certificates}: the client certificate a TCP API presents to a {@code tls://} upstream, by the
 * upstream's {@code host:port}, its host, or {@code *}. An entry is a PEM path like the API's own
 * {@code certificates}; relative paths are resolved against the folder of {@code tyk.conf}.
 */
public final class UpstreamCertificates {

    private UpstreamCertificates() {
    }

    /**
     * A client context per {@code tls://} target that has a certificate to present.
     *
     * @throws ConfigException naming the API and the entry when a certificate cannot be used
     */
    public static Map<Target, SslContext> contexts(LoadedApi loaded, TargetGroup targets, boolean insecure,
            Path confDir) throws ConfigException {
        Map<String, String> entries = loaded.definition().upstreamCertificates();
        Map<Target, SslContext> contexts = new HashMap<>();
        if (entries.isEmpty()) {
            return contexts;
        }
        for (Target target : targets.targets()) {
            if (!target.tls()) {
                continue;
            }
            String key = target.host() + ":" + target.port();
            if (!entries.containsKey(key)) {
                key = entries.containsKey(target.host()) ? target.host() : "*";
            }
            String path = entries.get(key);
            if (path == null) {
                continue;
            }
            try {
                contexts.put(target, TlsContexts.clientPresenting(PemKeyPair.fromPath(confDir.resolve(path)),
                        insecure));
            } catch (IOException e) {
                throw new ConfigException(LoadProblem.error(loaded.fileName(), "/upstream_certificates/" + key,
                        loaded.definition().apiId(), e.getMessage()));
            }
        }
        return contexts;
    }
}
