package dev.gateway.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.lb.Target;
import java.io.IOException;
import java.nio.file.Files;
import dev.gateway.core.exchange.JsonAccessLog;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code tyk.conf} and the API definition files in its {@code app_path}.
 *
 * <p>A bad {@code tyk.conf} is fatal ({@link ConfigException}). A bad API file is skipped with a
 * {@link LoadProblem} and the others load. Unknown fields are ignored, as Tyk ignores them; known fields that
 * have no effect yet earn one warning each ({@link UnimplementedFields}). An API's upstream targets are checked
 * and read by {@link ApiTargets}. Checks that span several APIs (duplicate ids, routes, ports) belong to
 * {@link dev.gateway.core.snapshot.GatewaySnapshot}.
 */
public final class ConfigLoader {

    private static final Logger log = LoggerFactory.getLogger(ConfigLoader.class);

    /** Protocols an API may name. */
    public static final Set<String> API_PROTOCOLS = Set.of("", "http", "https", "h2c", "tcp", "tls");

    /** Fields that work for tcp and tls APIs but not yet for HTTP ones, which still get the warning. */
    private static final Set<String> TCP_IMPLEMENTED = Set.of("/pinned_public_keys", "/upstream_certificates");

    /** API protocols served by the TCP relay. */
    private static final Set<String> TCP_PROTOCOLS = Set.of("tcp", "tls");

    /** Keys of {@code ports_whitelist}. */
    public static final Set<String> WHITELIST_PROTOCOLS = Set.of("http", "https", "h2c", "tcp", "tls");

    /** More event loops than this is a typo, not a tuning: each is a thread with its own pools. */
    private static final int MAX_IO_THREADS = 1024;

    /** TLS versions as Tyk writes them: 769 is TLS 1.0 up to 772, TLS 1.3. */
    private static final int TLS_MIN_CODE = 769;
    private static final int TLS_MAX_CODE = 772;

    /** Reads every configuration file: Tyk's snake_case names, unknown fields ignored. */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private ConfigLoader() {
    }

    /** Loads {@code tyk.conf} and every API file in its {@code app_path}. */
    public static LoadReport load(Path confFile) throws ConfigException {
        List<LoadProblem> problems = new ArrayList<>();
        GatewayConfig config = loadGatewayConfig(confFile, problems);
        Path base = confFile.toAbsolutePath().getParent();
        Path appDir = base.resolve(config.appPath()).normalize();
        List<LoadedApi> apis = loadApis(appDir, base, problems);
        return new LoadReport(config, confFile, appDir, apis, problems);
    }

    /**
     * Reads and validates {@code tyk.conf}.
     *
     * @param warnings receives one warning per field that is set but has no effect yet
     * @throws ConfigException when the file cannot be used, naming the field
     */
    public static GatewayConfig loadGatewayConfig(Path confFile, List<LoadProblem> warnings) throws ConfigException {
        String file = confFile.getFileName().toString();
        ParsedTree parsed = readTree(confFile, file);
        if (parsed.problem() != null) {
            throw new ConfigException(parsed.problem());
        }
        JsonNode tree = parsed.tree();
        if (!tree.isObject()) {
            throw new ConfigException(LoadProblem.error(file, "", "", "expected a JSON object"));
        }
        GatewayConfig config;
        try {
            config = MAPPER.treeToValue(tree, GatewayConfig.class)
                    .withAuth(MAPPER.treeToValue(tree, AuthSettings.class));
        } catch (JsonProcessingException e) {
            throw new ConfigException(mappingProblem(file, "", e));
        }
        Optional<LoadProblem> badPort = checkPort(config.listenPort(), file, "/listen_port", "");
        if (badPort.isPresent()) {
            throw new ConfigException(badPort.get());
        }
        if (config.ioThreads() < 0 || config.ioThreads() > MAX_IO_THREADS) {
            throw new ConfigException(LoadProblem.error(file, "/io_threads", "",
                    "must be from 0 (one per processor) to " + MAX_IO_THREADS + ", not " + config.ioThreads()));
        }
        if (!GatewayConfig.TRANSPORTS.contains(config.transport())) {
            throw new ConfigException(LoadProblem.error(file, "/transport", "",
                    "must be one of " + String.join(", ", GatewayConfig.TRANSPORTS) + ", not '"
                            + config.transport() + "'"));
        }
        GatewayConfig.AccessLogs accessLogs = config.accessLogs();
        if (!List.of("text", GatewayConfig.AccessLogs.JSON).contains(accessLogs.format())) {
            throw new ConfigException(LoadProblem.error(file, "/access_logs/format", "",
                    "must be text or json, not '" + accessLogs.format() + "'"));
        }
        for (int i = 0; i < accessLogs.template().size(); i++) {
            if (!JsonAccessLog.FIELDS.contains(accessLogs.template().get(i))) {
                warnings.add(LoadProblem.warning(file, "/access_logs/template/" + i, "", "'"
                        + accessLogs.template().get(i) + "' is not a field this gateway writes (it writes "
                        + String.join(", ", JsonAccessLog.FIELDS) + ")"));
            }
        }
        HttpServerOptions http = config.httpServerOptions();
        if (http.minVersion() < TLS_MIN_CODE || http.minVersion() > TLS_MAX_CODE) {
            throw new ConfigException(LoadProblem.error(file, "/http_server_options/min_version", "",
                    "unknown TLS version " + http.minVersion() + " (use 771 for TLS 1.2, 772 for TLS 1.3)"));
        }
        if (http.useSsl() && http.certificates().isEmpty() && http.sslCertificates().isEmpty()) {
            throw new ConfigException(LoadProblem.error(file, "/http_server_options/use_ssl", "",
                    "use_ssl is on but neither certificates nor ssl_certificates names a certificate"));
        }
        for (int i = 0; i < http.certificates().size(); i++) {
            HttpServerOptions.ServerCertificate c = http.certificates().get(i);
            if (c.certFile() == null || c.keyFile() == null) {
                throw new ConfigException(LoadProblem.error(file, "/http_server_options/certificates/" + i, "",
                        "cert_file and key_file are both required"));
            }
        }
        for (String protocol : config.portsWhitelist().keySet()) {
            if (!WHITELIST_PROTOCOLS.contains(protocol)) {
                throw new ConfigException(LoadProblem.error(file, "/ports_whitelist/" + protocol, "",
                        "unknown protocol '" + protocol + "' (expected one of " + WHITELIST_PROTOCOLS + ")"));
            }
        }
        return config;
    }

    /**
     * Reads every {@code *.json} file in {@code appDir}, in name order.
     *
     * @param confDir the folder of {@code tyk.conf}, against which relative certificate paths are resolved
     */
    public static List<LoadedApi> loadApis(Path appDir, Path confDir, List<LoadProblem> problems) {
        if (!Files.isDirectory(appDir)) {
            problems.add(LoadProblem.warning(appDir.toString(), "", "", "app_path is not a folder; no APIs loaded"));
            return List.of();
        }
        List<Path> files;
        try (Stream<Path> listing = Files.list(appDir)) {
            files = listing.filter(p -> p.getFileName().toString().endsWith(".json"))
                    .filter(Files::isRegularFile)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            problems.add(LoadProblem.error(appDir.toString(), "", "", "cannot list app_path: " + e.getMessage()));
            return List.of();
        }
        List<LoadedApi> apis = new ArrayList<>();
        for (Path file : files) {
            loadApi(file, confDir, problems).ifPresent(apis::add);
        }
        return apis;
    }

    /**
     * Reads and validates one API definition file; empty when it is skipped.
     *
     * @param confDir the folder of {@code tyk.conf}, against which relative certificate paths are resolved
     */
    public static Optional<LoadedApi> loadApi(Path path, Path confDir, List<LoadProblem> problems) {
        String file = path.getFileName().toString();
        ParsedTree parsed = readTree(path, file);
        if (parsed.problem() != null) {
            problems.add(parsed.problem());
            return Optional.empty();
        }
        JsonNode tree = parsed.tree();
        if (!tree.isObject()) {
            problems.add(LoadProblem.error(file, "", "", "expected one JSON object (one API definition per file)"));
            return Optional.empty();
        }
        List<LoadProblem> own = new ArrayList<>();
        ApiForms.Id id = ApiForms.fold((ObjectNode) tree, file, own);
        if (own.stream().anyMatch(LoadProblem::isError)) {
            problems.addAll(own);
            return Optional.empty();
        }
        ApiDefinition api;
        try {
            api = MAPPER.treeToValue(tree, ApiDefinition.class);
        } catch (JsonProcessingException e) {
            problems.addAll(own);
            problems.add(mappingProblem(file, id.value(), e));
            return Optional.empty();
        }
        validateApi(api, file, own);
        if (!TCP_PROTOCOLS.contains(api.protocol())) {
            EndpointChecks.checkUnimplemented(tree, api, file, own);
            for (String pointer : UnimplementedFields.setIn(tree, UnimplementedFields.UNSUPPORTED_AUTH)) {
                own.add(LoadProblem.error(file, pointer, api.apiId(), "this authentication mode is not supported;"
                        + " refusing to serve the API with less protection than it asks for"));
            }
        }
        problems.addAll(own);
        if (own.stream().anyMatch(LoadProblem::isError)) {
            return Optional.empty();
        }
        if (!api.active()) {
            log.info("API {} in {} is not active; skipped", api.label(), file);
            return Optional.empty();
        }
        List<LoadProblem> certificates = new ArrayList<>(ApiCertificates.check(api, tree, file, confDir));
        ApiCertificates.checkClients(api, file, confDir, certificates);
        problems.addAll(certificates);
        if (!certificates.isEmpty()) {
            return Optional.empty();
        }
        for (String pointer : UnimplementedFields.setIn(tree, UnimplementedFields.API)) {
            if (TCP_IMPLEMENTED.contains(pointer) && TCP_PROTOCOLS.contains(api.protocol())) {
                continue; // these work for tcp and tls APIs; HTTP upstreams do not use them yet
            }
            problems.add(LoadProblem.warning(file, pointer, api.apiId(), "is not implemented yet and has no effect"));
        }
        return Optional.of(new LoadedApi(api, path, id.fromFileName(), parsed.digest()));
    }

    private static void validateApi(ApiDefinition api, String file, List<LoadProblem> out) {
        String id = api.apiId();
        checkPort(api.listenPort(), file, "/listen_port", id).ifPresent(out::add);
        EndpointChecks.checkIpLists(api, file, out);
        if (!API_PROTOCOLS.contains(api.protocol())) {
            out.add(LoadProblem.error(file, "/protocol", id,
                    "unknown protocol '" + api.protocol() + "' (expected http, https, h2c, tcp or tls)"));
            return;
        }
        if (api.protocol().equals("tcp") || api.protocol().equals("tls")) {
            validateTcpApi(api, file, out);
            return;
        }
        if (!api.useKeyless() && api.useBasicAuth() && api.basicAuth().extractFromBody()) {
            out.add(LoadProblem.error(file, "/basic_auth/extract_from_body", id, "reading basic-auth credentials from"
                    + " the request body is not supported (request filters do not see the body); refusing the API"
                    + " rather than serving it with different authentication"));
        }
        String listenPath = api.proxy().listenPath();
        if (!listenPath.isEmpty() && !listenPath.startsWith("/")) {
            out.add(LoadProblem.error(file, "/proxy/listen_path", id, "must start with '/'"));
        }
        ApiTargets.checkHttp(api, file, out);
        EndpointChecks.checkVersion(api, file, out);
    }

    /** A {@code tcp} API: its own port, and {@code tcp://}, {@code tls://} or bare {@code host:port} targets. */
    private static void validateTcpApi(ApiDefinition api, String file, List<LoadProblem> out) {
        String id = api.apiId();
        String send = api.proxy().sendProxyProtocol();
        if (!send.isEmpty() && !send.equals("v1") && !send.equals("v2")) {
            out.add(LoadProblem.error(file, "/proxy/send_proxy_protocol", id,
                    "unknown PROXY protocol version '" + send + "' (expected v1 or v2)"));
        }
        if (api.listenPort() == 0) {
            out.add(LoadProblem.error(file, "/listen_port", id,
                    "a " + api.protocol() + " API needs its own listen_port; the API is not served"));
        }
        ApiTargets.checkTcp(api, file, out);
    }

    /** Upstream targets of a {@code tcp} or {@code tls} API, as the relay will use them. */
    public static List<Target> tcpTargets(ApiDefinition api) {
        return ApiTargets.tcp(api);
    }

    /** Upstream targets of an HTTP API, as the proxy will use them. */
    public static List<Target> httpTargets(ApiDefinition api) {
        return ApiTargets.http(api);
    }

    private static Optional<LoadProblem> checkPort(int port, String file, String path, String id) {
        if (port < 0 || port > 65535) {
            return Optional.of(LoadProblem.error(file, path, id, port + " is not a TCP port"));
        }
        return Optional.empty();
    }

    /**
     * A parsed file, or the problem that stopped it: exactly one of the two is set; and the {@link FileDigest} of
     * the bytes read, empty when none were.
     */
    record ParsedTree(JsonNode tree, LoadProblem problem, String digest) {
        ParsedTree(JsonNode tree, LoadProblem problem) {
            this(tree, problem, "");
        }
    }

    static ParsedTree readTree(Path path, String file) {
        try {
            byte[] bytes = Files.readAllBytes(path);
            JsonNode tree = MAPPER.readTree(bytes);
            if (tree == null || tree.isMissingNode()) {
                return new ParsedTree(null, LoadProblem.error(file, "", "", "the file is empty"));
            }
            return new ParsedTree(tree, null, FileDigest.of(bytes));
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            return new ParsedTree(null, LoadProblem.error(file, "", "", "invalid JSON" + where + ": "
                    + e.getOriginalMessage()));
        } catch (IOException e) {
            return new ParsedTree(null, LoadProblem.error(file, "", "", "cannot read: " + e));
        }
    }

    static LoadProblem mappingProblem(String file, String apiId, JsonProcessingException e) {
        StringBuilder pointer = new StringBuilder();
        if (e instanceof JsonMappingException mapping) {
            for (JsonMappingException.Reference ref : mapping.getPath()) {
                pointer.append('/');
                pointer.append(ref.getFieldName() != null ? ref.getFieldName() : String.valueOf(ref.getIndex()));
            }
        }
        String reason = e.getOriginalMessage();
        int newline = reason.indexOf('\n');
        if (newline > 0) {
            reason = reason.substring(0, newline);
        }
        return LoadProblem.error(file, pointer.toString(), apiId, "wrong type: " + reason);
    }

}
