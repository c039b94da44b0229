package dev.gateway.redis.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Tyk's {@code tls_min_version} and {@code tls_max_version} ({@code "1.0"} to {@code "1.3"}) as the JDK's protocol
 * names. The JDK refuses TLS 1.0 and 1.1, so a minimum below 1.2 is read as 1.2, as is anything unknown.
 */
final class TlsVersions {

    private static final List<String> PROTOCOLS = List.of("TLSv1.2", "TLSv1.3");

    private TlsVersions() {
    }

    static String[] protocols(String min, String max) {
        int from = index(min);
        int to = index(max);
        if (from > to) {
            throw new IllegalArgumentException("storage.tls_min_version " + min + " is above tls_max_version " + max);
        }
        List<String> chosen = new ArrayList<>(PROTOCOLS.subList(from, to + 1));
        return chosen.toArray(new String[0]);
    }

    private static int index(String version) {
        return "1.3".equals(version) ? 1 : 0;
    }
}
