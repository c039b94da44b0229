package dev.gateway.core.config;

import com.fasterxml.jackson.annotation.JsonAlias;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One entry of {@code version_data.versions}: Tyk's endpoint plugins ({@code extended_paths}), the legacy
 * {@code paths} lists, and the version-wide headers, size limit and timeout. Field names are Tyk's; what each
 * does is in docs/endpoint-plugins.md. {@link EndpointChecks} validates it at load.
 *
 * @param useExtendedPaths Tyk reads {@code extended_paths} only when this is set, {@code paths} otherwise
 * @param globalEnforceTimeout a Go duration ({@code 30s}) bounding every request of the version, as a
 *     {@code hard_timeouts} entry does
 */
public record ApiVersion(
        String name,
        boolean useExtendedPaths,
        ExtendedPaths extendedPaths,
        LegacyPaths paths,
        Map<String, String> globalHeaders,
        List<String> globalHeadersRemove,
        boolean globalHeadersDisabled,
        Map<String, String> globalResponseHeaders,
        List<String> globalResponseHeadersRemove,
        boolean globalResponseHeadersDisabled,
        long globalSizeLimit,
        boolean globalSizeLimitDisabled,
        String globalEnforceTimeout,
        boolean globalEnforceTimeoutDisabled,
        boolean ignoreEndpointCase) {

    public ApiVersion {
        name = name == null ? "" : name;
        extendedPaths = extendedPaths == null ? ExtendedPaths.NONE : extendedPaths;
        paths = paths == null ? new LegacyPaths(null, null, null) : paths;
        globalHeaders = ordered(globalHeaders);
        globalHeadersRemove = globalHeadersRemove == null ? List.of() : List.copyOf(globalHeadersRemove);
        globalResponseHeaders = ordered(globalResponseHeaders);
        globalResponseHeadersRemove = globalResponseHeadersRemove == null ? List.of()
                : List.copyOf(globalResponseHeadersRemove);
        globalEnforceTimeout = globalEnforceTimeout == null ? "" : globalEnforceTimeout.trim();
    }

    /** A map as the file wrote it, in its order, unmodifiable; empty for none. */
    static <V> Map<String, V> ordered(Map<String, V> map) {
        return map == null || map.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }

    /** {@code extended_paths}: one list per plugin, each entry matched by {@code path} and {@code method}. */
    public record ExtendedPaths(
            List<EndpointMeta> ignored,
            List<EndpointMeta> whiteList,
            List<EndpointMeta> blackList,
            List<HardTimeout> hardTimeouts,
            List<CircuitBreaker> circuitBreakers,
            List<UrlRewrite> urlRewrites,
            List<HeaderTransform> transformHeaders,
            List<HeaderTransform> transformResponseHeaders,
            List<SizeLimit> sizeLimits) {

        static final ExtendedPaths NONE = new ExtendedPaths(null, null, null, null, null, null, null, null, null);

        public ExtendedPaths {
            ignored = list(ignored);
            whiteList = list(whiteList);
            blackList = list(blackList);
            hardTimeouts = list(hardTimeouts);
            circuitBreakers = list(circuitBreakers);
            urlRewrites = list(urlRewrites);
            transformHeaders = list(transformHeaders);
            transformResponseHeaders = list(transformResponseHeaders);
            sizeLimits = list(sizeLimits);
        }
    }

    /** The legacy {@code paths} lists, read when {@code use_extended_paths} is off: paths for any method. */
    public record LegacyPaths(List<String> ignored, List<String> whiteList, List<String> blackList) {
        public LegacyPaths {
            ignored = list(ignored);
            whiteList = list(whiteList);
            blackList = list(blackList);
        }
    }

    /** What every plugin entry has: Tyk's {@code disabled}, {@code path} and {@code method}. */
    public interface Entry {
        boolean disabled();

        String path();

        /** The method the entry applies to; empty for any. */
        String method();
    }

    /**
     * An {@code ignored}, {@code white_list} or {@code black_list} entry.
     *
     * @param methodActions Tyk's older form, which takes the place of {@code method} when present
     */
    public record EndpointMeta(boolean disabled, String path, String method, boolean ignoreCase,
            Map<String, MethodAction> methodActions) implements Entry {
        public EndpointMeta {
            path = text(path);
            method = text(method);
            methodActions = methodActions == null ? null : ordered(methodActions);
        }
    }

    /**
     * One method of an older list entry: {@code no_action} lets the list decide, {@code reply} answers with
     * {@code code}, {@code headers} and {@code data} (Tyk's mock response).
     */
    public record MethodAction(String action, int code, String data, Map<String, String> headers) {
        public MethodAction {
            action = text(action);
            data = data == null ? "" : data;
            headers = ordered(headers);
        }
    }

    /** A {@code hard_timeouts} entry: {@code duration} (a Go duration) when set, else {@code timeout} seconds. */
    public record HardTimeout(boolean disabled, String path, String method, long timeout, String duration)
            implements Entry {
        public HardTimeout {
            path = text(path);
            method = text(method);
            duration = text(duration);
        }
    }

    /**
     * A {@code circuit_breakers} entry.
     *
     * @param thresholdPercent the failure ratio that opens the breaker, as Tyk writes it: a fraction ({@code 0.5})
     * @param returnToServiceAfter seconds the breaker stays open
     */
    public record CircuitBreaker(boolean disabled, String path, String method, double thresholdPercent, long samples,
            long returnToServiceAfter, boolean disableHalfOpenState) implements Entry {
        public CircuitBreaker {
            path = text(path);
            method = text(method);
        }
    }

    /** A {@code url_rewrites} entry. */
    public record UrlRewrite(boolean disabled, String path, String method, String matchPattern, String rewriteTo,
            List<Trigger> triggers) implements Entry {
        public UrlRewrite {
            path = text(path);
            method = text(method);
            matchPattern = matchPattern == null ? "" : matchPattern;
            rewriteTo = rewriteTo == null ? "" : rewriteTo;
            triggers = list(triggers);
        }
    }

    /** A rewrite trigger: when its options match ({@code on}: {@code any} or {@code all}), its own target wins. */
    public record Trigger(String on, TriggerOptions options, String rewriteTo) {
        public Trigger {
            on = text(on);
            options = options == null ? new TriggerOptions(null, null, null, null, null, null) : options;
            rewriteTo = rewriteTo == null ? "" : rewriteTo;
        }
    }

    /** What a trigger looks at, each a map of name to pattern. */
    public record TriggerOptions(Map<String, Match> headerMatches, Map<String, Match> queryValMatches,
            Map<String, Match> pathPartMatches, Map<String, Match> sessionMetaMatches,
            Map<String, Match> requestContextMatches, Match payloadMatches) {
        public TriggerOptions {
            headerMatches = ordered(headerMatches);
            queryValMatches = ordered(queryValMatches);
            pathPartMatches = ordered(pathPartMatches);
            sessionMetaMatches = ordered(sessionMetaMatches);
            requestContextMatches = ordered(requestContextMatches);
        }
    }

    /** Tyk's {@code StringRegexMap}: a pattern, matched or (with {@code reverse}) not matched. */
    public record Match(String matchRx, boolean reverse) {
        public Match {
            matchRx = matchRx == null ? "" : matchRx;
        }
    }

    /** A {@code transform_headers} or {@code transform_response_headers} entry. */
    public record HeaderTransform(boolean disabled, String path, String method,
            @JsonAlias("remove_headers") List<String> deleteHeaders, Map<String, String> addHeaders)
            implements Entry {
        public HeaderTransform {
            path = text(path);
            method = text(method);
            deleteHeaders = list(deleteHeaders);
            addHeaders = ordered(addHeaders);
        }
    }

    /** A {@code size_limits} entry: {@code size_limit} bytes. */
    public record SizeLimit(boolean disabled, String path, String method, long sizeLimit) implements Entry {
        public SizeLimit {
            path = text(path);
            method = text(method);
        }
    }

    private static <T> List<T> list(List<T> list) {
        return list == null ? List.of() : List.copyOf(list);
    }

    private static String text(String s) {
        return s == null ? "" : s.trim();
    }
}
