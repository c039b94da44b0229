package dev.gateway.http;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Requests the gateway answers itself on a listener, before any route: the status endpoint, and the control API
 * ({@code /tyk/...}) on the gateway port or on its own. The request's body is read whole first, up to
 * {@link #MAX_BODY_BYTES} (more is 413), and the answer may come later, from any thread; nothing else is read from
 * the connection meanwhile.
 */
public interface LocalService {

    /** The largest request body a local service is given: room for an API definition with every plugin. */
    int MAX_BODY_BYTES = 4 * 1024 * 1024;

    /** Whether this service answers requests for {@code path} (decoded, without its query). */
    boolean serves(String path);

    /** The answer to {@code request}; a failed stage is answered with 500. */
    CompletionStage<FilterDecision.Answer> answer(LocalRequest request);

    /** The first of {@code services} that serves a path answers it; {@code null}s are left out. */
    static LocalService first(LocalService... services) {
        List<LocalService> present = Arrays.stream(services).filter(s -> s != null).toList();
        if (present.size() == 1) {
            return present.get(0);
        }
        return new LocalService() {
            @Override
            public boolean serves(String path) {
                return present.stream().anyMatch(s -> s.serves(path));
            }

            @Override
            public CompletionStage<FilterDecision.Answer> answer(LocalRequest request) {
                return present.stream().filter(s -> s.serves(request.path())).findFirst().orElseThrow()
                        .answer(request);
            }
        };
    }
}
