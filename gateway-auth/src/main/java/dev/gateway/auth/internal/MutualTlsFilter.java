package dev.gateway.auth.internal;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.net.ClientErrorLog;
import dev.gateway.core.tls.ClientCertificates;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilter;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tyk's static mutual TLS ({@code CertificateCheckMW}, enabled by {@code use_mutual_tls_auth}): the certificate
 * the client presented in its handshake must be one of the API's {@code client_certificates}, or be issued by a CA
 * listed there ({@link ClientCertificates#check}). Every refusal is 403, in Tyk's words: "TLS not enabled",
 * "Client TLS certificate is required", "Certificate has expired", "Certificate with SHA256 &lt;hex&gt; not
 * allowed". It runs on every request, resumed TLS sessions and HTTP/2 streams alike, so a reload that takes a
 * certificate off the list refuses it from the next request on. Log lines name the certificate by the first
 * {@link #LOGGED_FINGERPRINT} hex digits of its fingerprint.
 */
public final class MutualTlsFilter implements RequestFilter {

    private static final Logger log = LoggerFactory.getLogger(MutualTlsFilter.class);

    /** Enough of a fingerprint to tell certificates apart in a log, short enough to read. */
    static final int LOGGED_FINGERPRINT = 16;

    private final ClientCertificates accepted;
    private final LongSupplier clock;

    /**
     * @param accepted the API's {@code client_certificates}, read at load
     * @param clock the time certificates must be valid at, in epoch milliseconds
     */
    public MutualTlsFilter(ClientCertificates accepted, LongSupplier clock) {
        this.accepted = accepted;
        this.clock = clock;
    }

    @Override
    public FilterDecision filter(FilteredRequest request) {
        if (!request.tls()) {
            refused(request, "api={} client={} conn={} {} {} refused: not over TLS{}", "");
            return FilterDecision.refuse(ProxyFailure.TLS_NOT_ENABLED);
        }
        List<X509Certificate> chain = request.peerCertificates();
        return switch (accepted.check(chain, clock.getAsLong())) {
            case ALLOWED -> FilterDecision.proceed();
            case MISSING -> {
                refused(request, "api={} client={} conn={} {} {} refused: no client certificate{}", "");
                yield FilterDecision.refuse(ProxyFailure.CLIENT_CERTIFICATE_MISSING);
            }
            case EXPIRED -> {
                refused(request, "api={} client={} conn={} {} {} refused: expired client certificate {}",
                        shortFingerprint(chain));
                yield FilterDecision.refuse(ProxyFailure.CLIENT_CERTIFICATE_EXPIRED);
            }
            case NOT_ALLOWED -> {
                refused(request, "api={} client={} conn={} {} {} refused: client certificate {} not allowed",
                        shortFingerprint(chain));
                yield FilterDecision.refuse(ProxyFailure.CLIENT_CERTIFICATE_NOT_ALLOWED,
                        "Certificate with SHA256 " + ClientCertificates.fingerprint(chain.get(0)) + " not allowed");
            }
        };
    }

    private static String shortFingerprint(List<X509Certificate> chain) {
        return ClientCertificates.fingerprint(chain.get(0)).substring(0, LOGGED_FINGERPRINT);
    }

    /** One line per refusal; a format per kind, so that a flood of one kind does not hide the others. */
    private static void refused(FilteredRequest request, String format, String fingerprint) {
        ApiDefinition api = request.route().api();
        ClientErrorLog.info(log, api.listenPort(), format, api.apiId(), request.client(), request.connectionId(),
                request.head().method(), request.path(), fingerprint);
    }
}
