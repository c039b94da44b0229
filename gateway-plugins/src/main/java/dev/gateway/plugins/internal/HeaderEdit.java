package dev.gateway.plugins.internal;

import dev.gateway.http.FilteredRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One set of header changes, compiled at load: names to delete, then names to set (each replacing what was there,
 * as Tyk's {@code Set} does), with Tyk's variables in the values. The gateway's own headers (framing, routing,
 * hop-by-hop) are never touched, and on a gRPC call neither are {@code content-type}, {@code te} or any
 * {@code grpc-*} name: those carry the call itself, and a transform that broke them would break every call.
 */
final class HeaderEdit {

    /** Checked at load with a warning, and left out here. */
    private static final Set<String> GATEWAY_OWNED = Set.of("content-length", "transfer-encoding", "connection",
            "host", "te", "upgrade", "keep-alive");

    private record Addition(AsciiString name, Template value, boolean rpcOwned) {
    }

    private record Deletion(AsciiString name, boolean rpcOwned) {
    }

    private final Deletion[] deletions;
    private final Addition[] additions;
    /** Some name is gRPC's own: only then does the edit ask whether the request is a gRPC call. */
    private final boolean touchesRpcNames;

    private HeaderEdit(Deletion[] deletions, Addition[] additions) {
        this.deletions = deletions;
        this.additions = additions;
        this.touchesRpcNames = java.util.Arrays.stream(deletions).anyMatch(Deletion::rpcOwned)
                || java.util.Arrays.stream(additions).anyMatch(Addition::rpcOwned);
    }

    static HeaderEdit of(Collection<String> delete, Map<String, String> add) {
        List<Deletion> deletions = new ArrayList<>();
        for (String name : delete) {
            if (usable(name)) {
                deletions.add(new Deletion(AsciiString.cached(name), rpcOwned(name)));
            }
        }
        List<Addition> additions = new ArrayList<>();
        add.forEach((name, value) -> {
            if (usable(name)) {
                additions.add(new Addition(AsciiString.cached(name), Template.compile(value, false, false),
                        rpcOwned(name)));
            }
        });
        return new HeaderEdit(deletions.toArray(Deletion[]::new), additions.toArray(Addition[]::new));
    }

    private static boolean usable(String name) {
        return !name.isEmpty() && name.charAt(0) != ':' && !GATEWAY_OWNED.contains(name.toLowerCase(Locale.ROOT));
    }

    private static boolean rpcOwned(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.startsWith("grpc-") || lower.equals("content-type");
    }

    boolean isEmpty() {
        return deletions.length == 0 && additions.length == 0;
    }

    /** Applies the changes to {@code headers}, of {@code request} or of its response. */
    void apply(HttpHeaders headers, FilteredRequest request) {
        boolean rpc = touchesRpcNames && isRpc(request);
        for (Deletion deletion : deletions) {
            if (!(rpc && deletion.rpcOwned)) {
                headers.remove(deletion.name);
            }
        }
        for (Addition addition : additions) {
            if (!(rpc && addition.rpcOwned)) {
                headers.set(addition.name, addition.value.render(request, null, Map.of()));
            }
        }
    }

    /** Whether {@code request} is a gRPC call. */
    static boolean isRpc(FilteredRequest request) {
        String type = request.head().headers().get(HttpHeaderNames.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, "application/grpc", 0, "application/grpc".length());
    }
}
