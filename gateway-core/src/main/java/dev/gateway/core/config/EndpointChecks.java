package dev.gateway.core.config;

import dev.gateway.core.net.IpRanges;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Load-time checks of an API's endpoint plugins ({@link ApiVersion}) and IP lists. A malformed entry refuses the
 * API, naming its JSON pointer; an entry that means something we do not do earns a warning and is left out.
 * {@code dev.gateway.plugins} compiles what passes here and can then not fail.
 */
final class EndpointChecks {

    /** {@code extended_paths} lists that Tyk has and this gateway does not do (yet). */
    private static final List<String> UNIMPLEMENTED = List.of("mock_response", "cache", "advance_cache_config",
            "transform", "transform_response", "transform_jq", "transform_jq_response", "virtual",
            "method_transforms", "track_endpoints", "do_not_track_endpoints", "validate_json", "validate_request",
            "internal", "go_plugin", "persist_graphql", "rate_limit");

    /** Header names a transform may not touch: HTTP/2 pseudo-headers and the gateway's framing. */
    private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding", "connection", "host",
            "te", "upgrade", "keep-alive");

    private static final Set<String> ACTIONS = Set.of("no_action", "reply");

    /** The most calls a circuit breaker remembers: a window is one flag per call, and this bounds it. */
    static final int MAX_SAMPLES = 100_000;

    /** The longest hard timeout or breaker open time: a day. Longer means never, which nobody should write. */
    static final long MAX_SECONDS = 86_400;

    /** A circuit breaker's threshold above 1 is read as a percentage up to this. */
    private static final double MAX_PERCENT = 100;

    private final String file;
    private final String apiId;
    private final List<LoadProblem> out;

    private EndpointChecks(String file, String apiId, List<LoadProblem> out) {
        this.file = file;
        this.apiId = apiId;
        this.out = out;
    }

    /** Checks the IP lists of any API. */
    static void checkIpLists(ApiDefinition api, String file, List<LoadProblem> out) {
        EndpointChecks checks = new EndpointChecks(file, api.apiId(), out);
        checks.ipList(api.allowedIps(), "/allowed_ips");
        checks.ipList(api.blacklistedIps(), "/blacklisted_ips");
    }

    /** Checks the endpoint plugins of an HTTP API: those of the version that serves its requests. */
    static void checkVersion(ApiDefinition api, String file, List<LoadProblem> out) {
        ApiDefinition.VersionData data = api.versionData();
        ApiVersion version = data.effective();
        if (version == null) {
            return;
        }
        EndpointChecks checks = new EndpointChecks(file, api.apiId(), out);
        String base = "/version_data/versions/" + escape(data.effectiveName());
        if (data.versions().size() > 1) {
            checks.warn("/version_data/versions", "versions are not told apart by request (Tyk's versioning by"
                    + " header, query or path is not implemented): every request gets the plugins of '"
                    + data.effectiveName() + "'");
        }
        checks.version(version, base);
    }

    private void version(ApiVersion version, String base) {
        if (version.globalSizeLimit() < 0) {
            error(base + "/global_size_limit", "must be 0 (no limit) or more bytes");
        }
        headerNames(version.globalHeaders().keySet(), base + "/global_headers");
        headerNames(version.globalHeadersRemove(), base + "/global_headers_remove");
        headerNames(version.globalResponseHeaders().keySet(), base + "/global_response_headers");
        headerNames(version.globalResponseHeadersRemove(), base + "/global_response_headers_remove");
        if (!version.globalEnforceTimeout().isEmpty()) {
            duration(version.globalEnforceTimeout(), base + "/global_enforce_timeout");
        }
        if (!version.useExtendedPaths()) {
            ApiVersion.ExtendedPaths ep = version.extendedPaths();
            if (!ep.equals(ApiVersion.ExtendedPaths.NONE)) {
                warn(base + "/use_extended_paths", "is off, so extended_paths is not read (as in Tyk); only the"
                        + " legacy paths lists apply");
            }
            legacy(version.paths().ignored(), base + "/paths/ignored");
            legacy(version.paths().whiteList(), base + "/paths/white_list");
            legacy(version.paths().blackList(), base + "/paths/black_list");
            return;
        }
        String ep = base + "/extended_paths";
        ApiVersion.ExtendedPaths paths = version.extendedPaths();
        lists(paths.ignored(), ep + "/ignored");
        lists(paths.whiteList(), ep + "/white_list");
        lists(paths.blackList(), ep + "/black_list");
        for (int i = 0; i < paths.hardTimeouts().size(); i++) {
            hardTimeout(paths.hardTimeouts().get(i), ep + "/hard_timeouts/" + i);
        }
        for (int i = 0; i < paths.circuitBreakers().size(); i++) {
            breaker(paths.circuitBreakers().get(i), ep + "/circuit_breakers/" + i);
        }
        for (int i = 0; i < paths.urlRewrites().size(); i++) {
            rewrite(paths.urlRewrites().get(i), ep + "/url_rewrites/" + i);
        }
        transforms(paths.transformHeaders(), ep + "/transform_headers");
        transforms(paths.transformResponseHeaders(), ep + "/transform_response_headers");
        for (int i = 0; i < paths.sizeLimits().size(); i++) {
            ApiVersion.SizeLimit limit = paths.sizeLimits().get(i);
            if (entry(limit, ep + "/size_limits/" + i) && limit.sizeLimit() <= 0) {
                error(ep + "/size_limits/" + i + "/size_limit", "must be a positive number of bytes");
            }
        }
    }

    /** Warns about the plugins Tyk has and we lack, found in the raw tree. */
    static void checkUnimplemented(com.fasterxml.jackson.databind.JsonNode tree, ApiDefinition api, String file,
            List<LoadProblem> out) {
        String name = api.versionData().effectiveName();
        if (name.isEmpty()) {
            return;
        }
        String base = "/version_data/versions/" + escape(name) + "/extended_paths/";
        for (String plugin : UNIMPLEMENTED) {
            var node = tree.at(base + plugin);
            if (!node.isMissingNode() && !node.isNull() && !node.isEmpty()) {
                out.add(LoadProblem.warning(file, base + plugin, api.apiId(),
                        "is not implemented yet and has no effect"));
            }
        }
    }

    // ---- entries ------------------------------------------------------------------------------------------------

    /** Checks what every entry has; false when the entry is disabled or broken, so nothing more is checked. */
    private boolean entry(ApiVersion.Entry entry, String at) {
        if (entry.disabled()) {
            return false;
        }
        if (entry.path().isEmpty()) {
            error(at + "/path", "is missing: every entry names the path it applies to");
            return false;
        }
        if (!pattern(EndpointPaths.regex(entry.path()), at + "/path")) {
            return false;
        }
        if (!entry.method().isEmpty() && !entry.method().chars().allMatch(EndpointChecks::isTokenChar)) {
            error(at + "/method", "'" + entry.method() + "' is not an HTTP method");
            return false;
        }
        return true;
    }

    private void lists(List<ApiVersion.EndpointMeta> entries, String at) {
        for (int i = 0; i < entries.size(); i++) {
            ApiVersion.EndpointMeta meta = entries.get(i);
            if (!entry(meta, at + "/" + i) || meta.methodActions() == null) {
                continue;
            }
            for (Map.Entry<String, ApiVersion.MethodAction> action : meta.methodActions().entrySet()) {
                String where = at + "/" + i + "/method_actions/" + escape(action.getKey());
                if (!ACTIONS.contains(action.getValue().action())) {
                    error(where + "/action", "'" + action.getValue().action() + "' is not an action (no_action"
                            + " or reply)");
                } else if (action.getValue().action().equals("reply")
                        && (action.getValue().code() < 100 || action.getValue().code() > 599)) {
                    error(where + "/code", action.getValue().code() + " is not an HTTP status");
                }
            }
        }
    }

    private void legacy(List<String> paths, String at) {
        for (int i = 0; i < paths.size(); i++) {
            pattern(EndpointPaths.regex(paths.get(i)), at + "/" + i);
        }
    }

    private void hardTimeout(ApiVersion.HardTimeout timeout, String at) {
        if (!entry(timeout, at)) {
            return;
        }
        if (!timeout.duration().isEmpty()) {
            duration(timeout.duration(), at + "/duration");
        } else if (timeout.timeout() <= 0 || timeout.timeout() > MAX_SECONDS) {
            error(at + "/timeout", "must be from 1 to " + MAX_SECONDS + " seconds (or set duration, such as"
                    + " \"500ms\")");
        }
    }

    private void breaker(ApiVersion.CircuitBreaker breaker, String at) {
        if (!entry(breaker, at)) {
            return;
        }
        double threshold = breaker.thresholdPercent();
        if (threshold <= 0 || threshold > MAX_PERCENT) {
            error(at + "/threshold_percent", "must be a failure ratio from 0 to 1, such as 0.5 for half the calls");
        } else if (threshold > 1) {
            warn(at + "/threshold_percent", threshold + " is read as " + threshold + "%; Tyk reads a fraction"
                    + " (0.5 for 50%) and a breaker above 1 would never open there");
        }
        if (breaker.samples() < 1 || breaker.samples() > MAX_SAMPLES) {
            error(at + "/samples", "must be from 1 to " + MAX_SAMPLES
                    + ": the breaker judges the last samples calls");
        }
        if (breaker.returnToServiceAfter() < 1 || breaker.returnToServiceAfter() > MAX_SECONDS) {
            error(at + "/return_to_service_after", "must be from 1 to " + MAX_SECONDS + " seconds");
        }
    }

    private void rewrite(ApiVersion.UrlRewrite rewrite, String at) {
        if (!entry(rewrite, at)) {
            return;
        }
        if (rewrite.matchPattern().isEmpty()) {
            error(at + "/match_pattern", "is missing");
        } else {
            pattern(rewrite.matchPattern().replace("(?P<", "(?<"), at + "/match_pattern");
        }
        if (rewrite.rewriteTo().isEmpty() && rewrite.triggers().isEmpty()) {
            error(at + "/rewrite_to", "is missing");
        }
        target(rewrite.rewriteTo(), at + "/rewrite_to");
        for (int t = 0; t < rewrite.triggers().size(); t++) {
            trigger(rewrite.triggers().get(t), at + "/triggers/" + t);
        }
    }

    private void trigger(ApiVersion.Trigger trigger, String at) {
        if (!trigger.on().isEmpty() && !trigger.on().equals("any") && !trigger.on().equals("all")) {
            error(at + "/on", "'" + trigger.on() + "' is neither any nor all");
        }
        target(trigger.rewriteTo(), at + "/rewrite_to");
        ApiVersion.TriggerOptions options = trigger.options();
        matches(options.headerMatches(), at + "/options/header_matches");
        matches(options.queryValMatches(), at + "/options/query_val_matches");
        matches(options.pathPartMatches(), at + "/options/path_part_matches");
        if (!options.sessionMetaMatches().isEmpty()) {
            warn(at + "/options/session_meta_matches", "never matches until keys and sessions are implemented");
        }
        if (!options.requestContextMatches().isEmpty()) {
            warn(at + "/options/request_context_matches", "is not implemented and never matches");
        }
        if (options.payloadMatches() != null && !options.payloadMatches().matchRx().isEmpty()) {
            warn(at + "/options/payload_matches", "never matches: the gateway streams bodies and does not read"
                    + " them to match a pattern");
        }
    }

    private void matches(Map<String, ApiVersion.Match> matches, String at) {
        for (Map.Entry<String, ApiVersion.Match> match : matches.entrySet()) {
            pattern(match.getValue().matchRx().replace("(?P<", "(?<"), at + "/" + escape(match.getKey())
                    + "/match_rx");
        }
    }

    /** A rewrite target: a path, with or without a query; another host is out of scope. */
    private void target(String rewriteTo, String at) {
        String lower = rewriteTo.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("tyk://") || lower.startsWith("http://") || lower.startsWith("https://")) {
            warn(at, "'" + rewriteTo + "' leaves the API (another host, or Tyk's tyk:// loop), which is not"
                    + " implemented: the request goes to the API's own target with its path unchanged");
        }
    }

    private void transforms(List<ApiVersion.HeaderTransform> entries, String at) {
        for (int i = 0; i < entries.size(); i++) {
            ApiVersion.HeaderTransform transform = entries.get(i);
            if (entry(transform, at + "/" + i)) {
                headerNames(transform.deleteHeaders(), at + "/" + i + "/delete_headers");
                headerNames(transform.addHeaders().keySet(), at + "/" + i + "/add_headers");
            }
        }
    }

    /** Header names, each named by its pointer: a key of a map, or an index of a list. */
    private void headerNames(Iterable<String> names, String at) {
        int index = 0;
        boolean list = names instanceof List;
        for (String name : names) {
            String where = at + "/" + (list ? String.valueOf(index) : escape(name));
            index++;
            String lower = name.toLowerCase(java.util.Locale.ROOT);
            if (name.isEmpty() || !name.chars().allMatch(EndpointChecks::isTokenChar)) {
                error(where, "'" + name + "' is not a header name");
            } else if (FRAMING.contains(lower)) {
                warn(where, "'" + name + "' is the gateway's to set (framing and routing), so it is left alone");
            }
        }
    }

    private void duration(String text, String at) {
        try {
            java.time.Duration parsed = GoDuration.parse(text, "duration");
            if (parsed.isZero() || parsed.getSeconds() >= MAX_SECONDS) {
                error(at, "must be longer than 0 and shorter than " + MAX_SECONDS + " s");
            }
        } catch (IllegalArgumentException e) {
            error(at, e.getMessage());
        }
    }

    private boolean pattern(String regex, String at) {
        try {
            Pattern.compile(regex);
            return true;
        } catch (PatternSyntaxException e) {
            error(at, "is not a usable regular expression: " + e.getDescription() + " near index " + e.getIndex());
            return false;
        }
    }

    private void ipList(List<String> entries, String at) {
        for (int i = 0; i < entries.size(); i++) {
            try {
                IpRanges.parse(List.of(entries.get(i) == null ? "" : entries.get(i)));
            } catch (IllegalArgumentException e) {
                error(at + "/" + i, "'" + entries.get(i) + "' is neither an IP address nor a CIDR range such as"
                        + " 10.0.0.0/8");
            }
        }
    }

    /** RFC 9110's token characters: what a method or a header name is made of. */
    private static boolean isTokenChar(int c) {
        return c > 32 && c < 127 && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
    }

    /** A JSON pointer's escaping of one reference token (RFC 6901). */
    static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    private void error(String at, String reason) {
        out.add(LoadProblem.error(file, at, apiId, reason));
    }

    private void warn(String at, String reason) {
        out.add(LoadProblem.warning(file, at, apiId, reason));
    }
}
