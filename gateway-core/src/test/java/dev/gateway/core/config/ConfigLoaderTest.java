package dev.gateway.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.testing.TestCerts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    // --- tyk.conf ---

    @Test
    void emptyConfFileGivesTykDefaults() throws Exception {
        Path conf = conf("{}");
        Files.createDirectories(dir.resolve("apps"));

        LoadReport report = ConfigLoader.load(conf);

        GatewayConfig config = report.config();
        assertEquals(8080, config.listenPort());
        assertEquals("apps/", config.appPath());
        assertEquals("hello", config.healthCheckEndpointName());
        assertEquals(30, config.proxyDefaultTimeout());
        assertEquals(120, config.httpServerOptions().readTimeout());
        assertEquals(120, config.httpServerOptions().writeTimeout());
        assertEquals(HttpServerOptions.TLS_1_2, config.httpServerOptions().minVersion());
        assertFalse(config.disablePortsWhitelist());
        assertEquals(dir.resolve("apps"), report.appDir());
        assertEquals(List.of(), report.problems());
    }

    @Test
    void zeroTimeoutsMeanTykDefaults() throws Exception {
        Path conf = conf("""
                {
                  "listen_port": 0,
                  "proxy_default_timeout": 0,
                  "http_server_options": {"read_timeout": 0, "write_timeout": 0}
                }
                """);

        GatewayConfig config = ConfigLoader.loadGatewayConfig(conf, new ArrayList<>());

        assertEquals(8080, config.listenPort());
        assertEquals(30, config.proxyDefaultTimeout());
        assertEquals(120, config.httpServerOptions().readTimeout());
        assertEquals(120, config.httpServerOptions().writeTimeout());
    }

    @Test
    void explicitValuesAreKeptInTykUnits() throws Exception {
        Path conf = conf("""
                {
                  "listen_port": 9090,
                  "proxy_default_timeout": 5,
                  "health_check_endpoint_name": "status",
                  "http_server_options": {"read_timeout": 7, "write_timeout": 8, "flush_interval": 250}
                }
                """);

        GatewayConfig config = ConfigLoader.loadGatewayConfig(conf, new ArrayList<>());

        assertEquals(9090, config.listenPort());
        assertEquals(5, config.proxyDefaultTimeout());
        assertEquals("status", config.healthCheckEndpointName());
        assertEquals(7, config.httpServerOptions().readTimeout());
        assertEquals(8, config.httpServerOptions().writeTimeout());
        assertEquals(250, config.httpServerOptions().flushInterval());
    }

    @Test
    void appPathIsResolvedAgainstTheConfFolderNotTheWorkingDirectory() throws Exception {
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Path conf = Files.writeString(etc.resolve("tyk.conf"), """
                {"app_path": "./definitions/"}
                """);
        Files.createDirectories(etc.resolve("definitions"));
        writeApi(etc.resolve("definitions"), "a.json", keyless("a", "/a/"));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(etc.resolve("definitions"), report.appDir());
        assertEquals(List.of("a"), ids(report));
    }

    @Test
    void absoluteAppPathIsUsedAsIs() throws Exception {
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        writeApi(elsewhere, "a.json", keyless("a", "/a/"));
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Path conf = Files.writeString(etc.resolve("tyk.conf"),
                "{\"app_path\": \"" + jsonString(elsewhere.toString()) + "\"}");

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(elsewhere, report.appDir());
        assertEquals(List.of("a"), ids(report));
    }

    @Test
    void missingAppFolderIsAWarningNotAFailure() throws Exception {
        Path conf = conf("{\"app_path\": \"nowhere/\"}");

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        assertEquals(List.of(), report.errors());
        assertEquals(1, report.warnings().size());
    }

    @Test
    void unknownFieldsAreIgnoredInConfAndApis() throws Exception {
        Path conf = conf("""
                {
                  "listen_port": 8081,
                  "no_such_field": {"deeply": ["nested", 1]},
                  "http_server_options": {"not_a_tyk_option": true}
                }
                """);
        api("a.json", """
                {
                  "api_id": "a",
                  "use_keyless": true,
                  "something_tyk_never_had": 42,
                  "proxy": {"listen_path": "/a/", "target_url": "http://127.0.0.1:9000", "mystery": "x"}
                }
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(8081, report.config().listenPort());
        assertEquals(List.of("a"), ids(report));
        assertEquals(List.of(), report.problems());
    }

    @Test
    void websocketOptionsLoadWithoutWarnings() throws Exception {
        Path conf = conf("""
                {"http_server_options": {"enable_websockets": true, "stream_idle_timeout": 90}}
                """);
        Files.createDirectories(dir.resolve("apps"));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.problems());
        assertTrue(report.config().httpServerOptions().enableWebsockets());
        assertEquals(90, report.config().httpServerOptions().streamIdleTimeout());
        assertEquals(HttpServerOptions.DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS,
                ConfigLoader.load(conf("{}")).config().httpServerOptions().streamIdleTimeout());
    }

    @Test
    void readHeaderTimeoutLoadsWithoutWarningsAndDefaultsToTenSeconds() throws Exception {
        Path conf = conf("{\"http_server_options\": {\"read_header_timeout\": 3}}");
        Files.createDirectories(dir.resolve("apps"));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.problems());
        assertEquals(3, report.config().httpServerOptions().readHeaderTimeout());
        assertEquals(10, ConfigLoader.load(conf("{}")).config().httpServerOptions().readHeaderTimeout());
    }

    @Test
    void connectionCapsLoadWithoutWarningsAndDefaultToTheOpenFilesLimit() throws Exception {
        Path conf = conf("{\"max_connections\": 5000, \"max_connections_per_listener\": 1000}");
        Files.createDirectories(dir.resolve("apps"));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.problems());
        assertEquals(5000, report.config().maxConnections());
        assertEquals(1000, report.config().maxConnectionsPerListener());
        GatewayConfig defaults = ConfigLoader.load(conf("{}")).config();
        assertEquals(0, defaults.maxConnections(), "0: derived from the open-files limit at start");
        assertEquals(0, defaults.maxConnectionsPerListener());
    }

    @Test
    void bodyTimeoutAndMinimumRateLoadWithoutWarningsAndDefaultNearHaproxyAndApache() throws Exception {
        Path conf = conf("{\"http_server_options\": {\"read_body_timeout\": 5, \"min_body_rate\": 0}}");
        Files.createDirectories(dir.resolve("apps"));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.problems());
        assertEquals(5, report.config().httpServerOptions().readBodyTimeout());
        assertEquals(0, report.config().httpServerOptions().minBodyRate(), "0 turns the minimum off");
        HttpServerOptions defaults = ConfigLoader.load(conf("{}")).config().httpServerOptions();
        assertEquals(30, defaults.readBodyTimeout());
        assertEquals(500, defaults.minBodyRate());
    }

    @Test
    void unimplementedApiFieldEarnsExactlyOneWarningNamingFieldAndApi() throws Exception {
        Path conf = conf("{}");
        api("pp.json", """
                {
                  "api_id": "pp",
                  "use_keyless": true,
                  "pinned_public_keys": {"*": "abc"},
                  "proxy": {"listen_path": "/pp/", "target_url": "http://127.0.0.1:9000"}
                }
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of("pp"), ids(report), "a warning does not refuse the API");
        assertEquals(1, report.warnings().size(), report.warnings()::toString);
        LoadProblem warning = report.warnings().get(0);
        assertEquals("pp.json", warning.file());
        assertEquals("/pinned_public_keys", warning.jsonPath());
        assertEquals("pp", warning.apiId());
        assertTrue(warning.toString().contains("/pinned_public_keys")
                && warning.toString().contains("pp"), warning.toString());
    }

    @Test
    void invalidConfJsonStopsStartUpNamingLineAndColumn() throws Exception {
        Path conf = conf("""
                {
                  "listen_port": 8080,
                  "secret": oops
                }
                """);

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(conf));

        assertTrue(e.getMessage().contains("tyk.conf"), e.getMessage());
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
        assertTrue(e.getMessage().contains("column"), e.getMessage());
    }

    @Test
    void confThatIsNotAnObjectStopsStartUp() throws Exception {
        Path conf = conf("[1, 2]");

        assertThrows(ConfigException.class, () -> ConfigLoader.load(conf));
    }

    @Test
    void emptyConfFileStopsStartUp() throws Exception {
        Path conf = conf("");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(conf));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void wrongTypeInConfStopsStartUpNamingTheField() throws Exception {
        Path conf = conf("{\"listen_port\": \"abc\"}");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(conf));

        assertEquals("/listen_port", e.problem().jsonPath());
        assertTrue(e.getMessage().contains("/listen_port"), e.getMessage());
    }

    @Test
    void wrongNestedTypeInConfNamesTheNestedField() throws Exception {
        Path conf = conf("{\"http_server_options\": {\"read_timeout\": \"10s\"}}");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(conf));

        assertEquals("/http_server_options/read_timeout", e.problem().jsonPath());
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 65536})
    void listenPortOutsideTcpRangeStopsStartUp(int port) throws Exception {
        Path conf = conf("{\"listen_port\": " + port + "}");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(conf));

        assertEquals("/listen_port", e.problem().jsonPath());
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 1025})
    void ioThreadsOutOfRangeStopsStartUpNamingTheField(int threads) throws Exception {
        Path conf = conf("{\"io_threads\": " + threads + "}");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(conf));

        assertEquals("/io_threads", e.problem().jsonPath());
        assertTrue(e.getMessage().contains("not " + threads), e.getMessage());
    }

    @Test
    void ioThreadsDefaultsToOnePerProcessor() throws Exception {
        GatewayConfig absent = ConfigLoader.loadGatewayConfig(conf("{}"), new ArrayList<>());
        GatewayConfig given = ConfigLoader.loadGatewayConfig(conf("{\"io_threads\": 3}"), new ArrayList<>());

        assertEquals(Runtime.getRuntime().availableProcessors(), absent.effectiveIoThreads());
        assertEquals(3, given.effectiveIoThreads());
    }

    @Test
    void withRedisTheFixedWindowIsTheDefaultAndTakesPrecedenceOverTheSlidingLogAsInTyk() throws Exception {
        assertFalse(ConfigLoader.loadGatewayConfig(conf("{}"), new ArrayList<>()).auth().redisSlidingLog());
        assertTrue(ConfigLoader.loadGatewayConfig(conf("{\"enable_redis_rolling_limiter\": true}"), new ArrayList<>())
                .auth().redisSlidingLog());
        assertFalse(ConfigLoader.loadGatewayConfig(conf("{\"enable_redis_rolling_limiter\": true,"
                + " \"enable_fixed_window_rate_limiter\": true}"), new ArrayList<>()).auth().redisSlidingLog());
    }

    @Test
    void transportDefaultsToAutoAndTakesEachName() throws Exception {
        assertEquals("auto", ConfigLoader.loadGatewayConfig(conf("{}"), new ArrayList<>()).transport());
        for (String name : List.of("auto", "io_uring", "epoll", "nio")) {
            GatewayConfig given = ConfigLoader.load(conf("{\"transport\": \"" + name + "\"}")).config();
            assertEquals(name, given.transport());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"kqueue", "EPOLL", "uring"})
    void unknownTransportStopsStartUpNamingTheField(String name) throws Exception {
        Path conf = conf("{\"transport\": \"" + name + "\"}");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(conf));

        assertEquals("/transport", e.problem().jsonPath());
        assertTrue(e.getMessage().contains("not '" + name + "'"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {768, 773, 12})
    void unknownMinVersionStopsStartUpNamingTheField(int version) throws Exception {
        Path conf = conf("{\"http_server_options\": {\"min_version\": " + version + "}}");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(conf));

        assertEquals("/http_server_options/min_version", e.problem().jsonPath());
        assertTrue(e.getMessage().contains("/http_server_options/min_version"), e.getMessage());
    }

    @Test
    void tls13MinVersionIsAccepted() throws Exception {
        Path conf = conf("{\"http_server_options\": {\"min_version\": 772}}");

        assertEquals(772, ConfigLoader.loadGatewayConfig(conf, new ArrayList<>()).httpServerOptions().minVersion());
    }

    @Test
    void useSslWithoutCertificatesStopsStartUpNamingTheField() throws Exception {
        Path conf = conf("{\"http_server_options\": {\"use_ssl\": true}}");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(conf));

        assertEquals("/http_server_options/use_ssl", e.problem().jsonPath());
        assertTrue(e.getMessage().contains("use_ssl"), e.getMessage());
    }

    @Test
    void useSslWithSslCertificatesIsAccepted() throws Exception {
        Path conf = conf("""
                {"http_server_options": {"use_ssl": true, "ssl_certificates": ["certs/server.pem"]}}
                """);

        HttpServerOptions http = ConfigLoader.loadGatewayConfig(conf, new ArrayList<>()).httpServerOptions();

        assertTrue(http.useSsl());
        assertEquals(List.of("certs/server.pem"), http.sslCertificates());
    }

    @Test
    void serverCertificateWithoutKeyFileStopsStartUpNamingTheEntry() throws Exception {
        Path conf = conf("""
                {
                  "http_server_options": {
                    "use_ssl": true,
                    "certificates": [
                      {"domain_name": "a.test", "cert_file": "a.pem", "key_file": "a.key"},
                      {"domain_name": "b.test", "cert_file": "b.pem"}
                    ]
                  }
                }
                """);

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(conf));

        assertEquals("/http_server_options/certificates/1", e.problem().jsonPath());
    }

    @Test
    void unknownPortsWhitelistProtocolStopsStartUpNamingTheKey() throws Exception {
        Path conf = conf("""
                {"ports_whitelist": {"http": {"ports": [9000]}, "ftp": {"ports": [21]}}}
                """);

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(conf));

        assertEquals("/ports_whitelist/ftp", e.problem().jsonPath());
        assertTrue(e.getMessage().contains("ftp"), e.getMessage());
    }

    @Test
    void portsWhitelistReadsPortsAndInclusiveRanges() throws Exception {
        Path conf = conf("""
                {"ports_whitelist": {"https": {"ranges": [{"from": 9000, "to": 9010}], "ports": [443]}}}
                """);

        GatewayConfig.PortWhitelist https =
                ConfigLoader.loadGatewayConfig(conf, new ArrayList<>()).portsWhitelist().get("https");

        assertTrue(https.allows(443));
        assertTrue(https.allows(9000));
        assertTrue(https.allows(9010));
        assertFalse(https.allows(8999));
        assertFalse(https.allows(9011));
    }

    // --- API definitions ---

    @Test
    void keylessApiLoadsWithItsFields() throws Exception {
        Path conf = conf("{}");
        api("a.json", """
                {
                  "api_id": "a",
                  "name": "Service A",
                  "use_keyless": true,
                  "domain": "API.Example.com ",
                  "protocol": "HTTP",
                  "listen_port": 0,
                  "proxy": {
                    "listen_path": "/a/",
                    "target_url": "http://127.0.0.1:9000/base",
                    "strip_listen_path": true
                  }
                }
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.problems());
        LoadedApi loaded = report.apis().get(0);
        ApiDefinition api = loaded.definition();
        assertEquals("a.json", loaded.fileName());
        assertEquals("a (Service A)", api.label());
        assertEquals("api.example.com", api.domain());
        assertEquals("http", api.protocol());
        assertEquals(0, api.listenPort());
        assertTrue(api.proxy().stripListenPath());
        assertEquals("http://127.0.0.1:9000/base", api.proxy().targetUrl());
        assertTrue(api.active());
    }

    @Test
    void invalidJsonInOneApiFileIsAnErrorNamingFileLineAndColumnAndTheOthersStillLoad() throws Exception {
        Path conf = conf("{}");
        api("a.json", keyless("a", "/a/"));
        api("b.json", """
                {
                  "api_id": "b",
                  "use_keyless": true,,
                  "proxy": {"listen_path": "/b/", "target_url": "http://127.0.0.1:9000"}
                }
                """);
        api("c.json", keyless("c", "/c/"));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of("a", "c"), ids(report));
        LoadProblem error = onlyError(report);
        assertEquals("b.json", error.file());
        assertTrue(error.reason().contains("line 3"), error.reason());
        assertTrue(error.reason().contains("column"), error.reason());
    }

    @Test
    void trailingContentAfterTheDefinitionIsInvalidJson() throws Exception {
        Path conf = conf("{}");
        api("a.json", keyless("a", "/a/") + "\n{}");

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        assertEquals("a.json", onlyError(report).file());
    }

    @Test
    void emptyApiFileIsAnError() throws Exception {
        Path conf = conf("{}");
        api("a.json", "");

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        assertTrue(onlyError(report).reason().contains("empty"));
    }

    @Test
    void apiFileHoldingAnArrayIsAnError() throws Exception {
        Path conf = conf("{}");
        api("a.json", "[" + keyless("a", "/a/") + "]");

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        assertEquals("a.json", onlyError(report).file());
    }

    @Test
    void stringListenPortIsAnErrorNamingTheJsonPathAndApi() throws Exception {
        Path conf = conf("{}");
        api("a.json", """
                {
                  "api_id": "a",
                  "use_keyless": true,
                  "listen_port": "abc",
                  "proxy": {"listen_path": "/a/", "target_url": "http://127.0.0.1:9000"}
                }
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        LoadProblem error = onlyError(report);
        assertEquals("a.json", error.file());
        assertEquals("/listen_port", error.jsonPath());
        assertEquals("a", error.apiId());
    }

    @Test
    void proxyGivenAsArrayIsAnErrorNamingTheJsonPath() throws Exception {
        Path conf = conf("{}");
        api("a.json", """
                {"api_id": "a", "use_keyless": true, "proxy": []}
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        assertEquals("/proxy", onlyError(report).jsonPath());
    }

    @Test
    void wrongTypeInsideAListNamesTheIndex() throws Exception {
        Path conf = conf("{}");
        api("a.json", """
                {
                  "api_id": "a",
                  "use_keyless": true,
                  "proxy": {
                    "listen_path": "/a/",
                    "enable_load_balancing": true,
                    "target_list": ["http://127.0.0.1:9000", {"url": "http://127.0.0.1:9001"}]
                  }
                }
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        assertEquals("/proxy/target_list/1", onlyError(report).jsonPath());
    }

    @Test
    void missingApiIdIsTheFileNameWithOneWarning() throws Exception {
        Path conf = conf("{}");
        api("noid.json", """
                {"use_keyless": true, "proxy": {"listen_path": "/x/", "target_url": "http://127.0.0.1:9000"}}
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of("noid"), ids(report));
        assertTrue(report.apis().get(0).idFromFileName());
        assertEquals(List.of(), report.errors());
        LoadProblem warning = report.warnings().get(0);
        assertEquals(1, report.warnings().size(), report.warnings().toString());
        assertEquals("noid.json", warning.file());
        assertEquals("/api_id", warning.jsonPath());
        assertEquals("noid", warning.apiId());
        assertTrue(warning.reason().contains("'noid'"), warning.reason());
    }

    @Test
    void blankApiIdIsTheFileNameToo() throws Exception {
        Path conf = conf("{}");
        api("blank.json", keyless("  ", "/x/"));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of("blank"), ids(report));
        assertEquals(1, report.warnings().size(), report.warnings().toString());
    }

    @Test
    void givenApiIdIsKeptWithoutWarning() throws Exception {
        Path conf = conf("{}");
        api("file-name.json", keyless("own-id", "/x/"));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of("own-id"), ids(report));
        assertFalse(report.apis().get(0).idFromFileName());
        assertEquals(List.of(), report.problems());
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:9000", "example.com/path", "http://", "http:///path", "", "not a url"})
    void targetUrlWithoutSchemeOrHostIsAnErrorNamingTheField(String target) throws Exception {
        Path conf = conf("{}");
        api("a.json", api("a", "/a/", "\"target_url\": \"" + target + "\""));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        LoadProblem error = onlyError(report);
        assertEquals("/proxy/target_url", error.jsonPath());
        assertEquals("a", error.apiId());
    }

    @Test
    void targetUrlWithUnsupportedSchemeIsAnError() throws Exception {
        Path conf = conf("{}");
        api("a.json", api("a", "/a/", "\"target_url\": \"ftp://files.example.com\""));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        assertEquals("/proxy/target_url", onlyError(report).jsonPath());
    }

    @Test
    void badTargetListEntryIsAnErrorNamingItsIndex() throws Exception {
        Path conf = conf("{}");
        api("lb.json", api("lb", "/lb/", """
                "enable_load_balancing": true,
                "target_list": ["http://127.0.0.1:9000", "http://127.0.0.1:9001", "127.0.0.1:9002"]
                """));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        LoadProblem error = onlyError(report);
        assertEquals("/proxy/target_list/2", error.jsonPath());
        assertEquals("lb", error.apiId());
    }

    @Test
    void targetListIsUsedOnlyWithLoadBalancing() throws Exception {
        Path conf = conf("{}");
        api("lb.json", api("lb", "/lb/", """
                "enable_load_balancing": true,
                "target_list": ["http://127.0.0.1:9000", "https://backend.test:9443/v1"]
                """));
        api("single.json", api("single", "/single/", """
                "target_url": "http://127.0.0.1:7000",
                "target_list": ["http://127.0.0.1:9000", "http://127.0.0.1:9001"]
                """));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.problems());
        assertEquals(List.of("http://127.0.0.1:9000", "https://backend.test:9443/v1"),
                ConfigLoader.httpTargets(report.apis().get(0).definition()).stream().map(t -> t.raw()).toList());
        assertEquals(List.of("http://127.0.0.1:7000"),
                ConfigLoader.httpTargets(report.apis().get(1).definition()).stream().map(t -> t.raw()).toList());
    }

    @Test
    void topLevelLoadBalancingAndHostCheckMeanTheSameAsUnderProxy() throws Exception {
        Path conf = conf("{}");
        api("redis.json", """
                {"api_id": "redis", "protocol": "tcp", "listen_port": 6379, "enable_load_balancing": true,
                 "check_host_against_uptime_tests": true,
                 "proxy": {"target_list": ["127.0.0.1:7001", "127.0.0.1:7002"]}}
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.problems());
        ApiDefinition.Proxy proxy = report.apis().get(0).definition().proxy();
        assertTrue(proxy.enableLoadBalancing());
        assertTrue(proxy.checkHostAgainstUptimeTests());
        assertEquals(List.of("tcp://127.0.0.1:7001", "tcp://127.0.0.1:7002"),
                ConfigLoader.tcpTargets(report.apis().get(0).definition()).stream()
                        .map(t -> t.scheme() + "://" + t.hostPort()).toList());
    }

    @Test
    void topLevelAliasWithoutProxyObjectStillReachesProxy() throws Exception {
        Path conf = conf("{}");
        api("a.json", """
                {"api_id": "a", "use_keyless": true, "check_host_against_uptime_tests": true}
                """);

        LoadReport report = ConfigLoader.load(conf);

        // No target at all is its own error; what matters here is that the alias made it into proxy first.
        assertEquals("/proxy/target_url", onlyError(report).jsonPath());
    }

    @Test
    void proxyWinsOverTheTopLevelWithAWarningNamingBothPaths() throws Exception {
        Path conf = conf("{}");
        api("lb.json", """
                {"api_id": "lb", "use_keyless": true, "enable_load_balancing": true,
                 "check_host_against_uptime_tests": "whatever",
                 "proxy": {"listen_path": "/lb/", "target_url": "http://127.0.0.1:7000",
                           "enable_load_balancing": false, "check_host_against_uptime_tests": true,
                           "target_list": ["http://127.0.0.1:9000"]}}
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.errors());
        ApiDefinition.Proxy proxy = report.apis().get(0).definition().proxy();
        assertFalse(proxy.enableLoadBalancing());
        assertTrue(proxy.checkHostAgainstUptimeTests());
        assertEquals(2, report.warnings().size(), report.warnings().toString());
        LoadProblem warning = report.warnings().get(0);
        assertEquals("/enable_load_balancing", warning.jsonPath());
        assertTrue(warning.reason().contains("/enable_load_balancing"), warning.reason());
        assertTrue(warning.reason().contains("/proxy/enable_load_balancing wins"), warning.reason());
        assertEquals("/check_host_against_uptime_tests", report.warnings().get(1).jsonPath());
    }

    @Test
    void topLevelAliasThatIsNotABooleanIsAnErrorAtTheTopLevelPath() throws Exception {
        Path conf = conf("{}");
        api("a.json", """
                {"api_id": "a", "use_keyless": true, "enable_load_balancing": "yes",
                 "proxy": {"listen_path": "/a/", "target_url": "http://127.0.0.1:7000"}}
                """);

        LoadProblem error = onlyError(ConfigLoader.load(conf));

        assertEquals("/enable_load_balancing", error.jsonPath());
        assertEquals("a", error.apiId());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "http"})
    void targetListWithoutTargetUrlOrLoadBalancingNamesTheMissingSwitch(String protocol) throws Exception {
        Path conf = conf("{}");
        api("a.json", """
                {"api_id": "a", "use_keyless": true, "protocol": "%s", "listen_port": 6379,
                 "proxy": {"listen_path": "/a/", "target_list": ["%s127.0.0.1:7001"]}}
                """.formatted(protocol, protocol.equals("tcp") ? "" : "http://"));

        LoadProblem error = onlyError(ConfigLoader.load(conf));

        assertEquals("/proxy/target_url", error.jsonPath());
        assertEquals("target_url is empty; set proxy.enable_load_balancing to balance over target_list",
                error.reason());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "http"})
    void emptyTargetUrlSaysItIsEmpty(String protocol) throws Exception {
        Path conf = conf("{}");
        api("a.json", """
                {"api_id": "a", "use_keyless": true, "protocol": "%s", "listen_port": 6379,
                 "proxy": {"listen_path": "/a/", "target_url": " "}}
                """.formatted(protocol));

        LoadProblem error = onlyError(ConfigLoader.load(conf));

        assertEquals("/proxy/target_url", error.jsonPath());
        assertTrue(error.reason().startsWith("target_url is empty"), error.reason());
        assertFalse(error.reason().contains("authority"), error.reason());
    }

    @Test
    void emptyTcpTargetListEntrySaysItIsEmpty() throws Exception {
        Path conf = conf("{}");
        api("a.json", """
                {"api_id": "a", "protocol": "tcp", "listen_port": 6379,
                 "proxy": {"enable_load_balancing": true, "target_list": ["127.0.0.1:7001", ""]}}
                """);

        LoadProblem error = onlyError(ConfigLoader.load(conf));

        assertEquals("/proxy/target_list/1", error.jsonPath());
        assertEquals("target is empty", error.reason());
    }

    @Test
    void unusableTargetNamesTheFieldAndTheValue() throws Exception {
        Path conf = conf("{}");
        api("a.json", """
                {"api_id": "a", "protocol": "tcp", "listen_port": 6379, "proxy": {"target_url": "redis-1"}}
                """);

        LoadProblem error = onlyError(ConfigLoader.load(conf));

        assertEquals("/proxy/target_url", error.jsonPath());
        assertTrue(error.reason().contains("redis-1"), error.reason());
    }

    @Test
    void listenPathWithoutLeadingSlashIsAnError() throws Exception {
        Path conf = conf("{}");
        api("a.json", keyless("a", "a/"));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        assertEquals("/proxy/listen_path", onlyError(report).jsonPath());
    }

    @Test
    void apiListenPortOutsideTcpRangeIsAnError() throws Exception {
        Path conf = conf("{}");
        api("a.json", """
                {
                  "api_id": "a",
                  "use_keyless": true,
                  "listen_port": 70000,
                  "proxy": {"listen_path": "/a/", "target_url": "http://127.0.0.1:9000"}
                }
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        assertEquals("/listen_port", onlyError(report).jsonPath());
    }

    @Test
    void basicAuthCredentialsFromTheBodyAreRefusedByName() throws Exception {
        Path conf = conf("{}");
        api("a.json", """
                {
                  "api_id": "a",
                  "use_keyless": false,
                  "use_basic_auth": true,
                  "basic_auth": {"extract_from_body": true, "body_user_regexp": "u=(.+)",
                                 "body_password_regexp": "p=(.+)"},
                  "proxy": {"listen_path": "/a/", "target_url": "http://127.0.0.1:9000"}
                }
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        assertTrue(report.errors().stream().anyMatch(p -> p.jsonPath().equals("/basic_auth/extract_from_body")
                && p.reason().contains("not supported")), report.errors().toString());
    }

    @Test
    void tokenAuthApiLoadsAndAnUnsupportedAuthModeIsRefused() throws Exception {
        Path conf = conf("{}");
        api("a.json", """
                {
                  "api_id": "a",
                  "use_keyless": false,
                  "use_standard_auth": true,
                  "proxy": {"listen_path": "/a/", "target_url": "http://127.0.0.1:9000"}
                }
                """);
        api("b.json", """
                {
                  "api_id": "b",
                  "use_keyless": false,
                  "enable_jwt": true,
                  "proxy": {"listen_path": "/b/", "target_url": "http://127.0.0.1:9000"}
                }
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of("a"), report.apis().stream().map(a -> a.definition().apiId()).toList());
        LoadProblem error = onlyError(report);
        assertEquals("/enable_jwt", error.jsonPath());
        assertEquals("b", error.apiId());
    }

    @Test
    void tlsApisLoadWithTheirCertificateAlias() throws Exception {
        Path conf = conf("{}");
        copyCertificates();
        api("t.json", """
                {"api_id": "t", "protocol": "tls", "listen_port": 9443, "certificate": ["server.pem"],
                 "domain": "db.example.com", "proxy": {"target_url": "tcp://127.0.0.1:9000"}}
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.problems());
        assertEquals(List.of("server.pem"), report.apis().get(0).definition().certificates());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp://127.0.0.1:9000", "tls://db.internal:5432", "127.0.0.1:6379", "redis_1:6379"})
    void tcpApisTakeTcpTlsAndBareHostPortTargets(String target) throws Exception {
        Path conf = conf("{}");
        api("t.json", """
                {"api_id": "t", "protocol": "TCP", "listen_port": 6380, "proxy": {"target_url": "%s"}}
                """.formatted(target));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.problems());
        assertEquals(1, report.apis().size());
        assertEquals(1, ConfigLoader.tcpTargets(report.apis().get(0).definition()).size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1:9000", "tcp://127.0.0.1", "127.0.0.1"})
    void tcpApiWithAnUnusableTargetNamesIt(String target) throws Exception {
        Path conf = conf("{}");
        api("t.json", """
                {"api_id": "t", "protocol": "tcp", "listen_port": 6380, "proxy": {"target_url": "%s"}}
                """.formatted(target));

        LoadProblem error = onlyError(ConfigLoader.load(conf));

        assertEquals("/proxy/target_url", error.jsonPath());
        assertEquals("t", error.apiId());
    }

    @Test
    void unknownSendProxyProtocolVersionIsAnErrorNamingTheField() throws Exception {
        Path conf = conf("{}");
        api("t.json", """
                {"api_id": "t", "protocol": "tcp", "listen_port": 6380,
                 "proxy": {"target_url": "127.0.0.1:6379", "send_proxy_protocol": "v3"}}
                """);

        LoadProblem error = onlyError(ConfigLoader.load(conf));

        assertEquals("/proxy/send_proxy_protocol", error.jsonPath());
        assertTrue(error.toString().contains("'v3'"), error.toString());
    }

    @Test
    void tcpApiWithoutListenPortIsAnErrorNamingTheApi() throws Exception {
        Path conf = conf("{}");
        api("t.json", """
                {"api_id": "t", "protocol": "tcp", "proxy": {"target_url": "127.0.0.1:6379"}}
                """);

        LoadProblem error = onlyError(ConfigLoader.load(conf));

        assertEquals("/listen_port", error.jsonPath());
        assertEquals("t", error.apiId());
        assertTrue(error.toString().contains("needs its own listen_port"), error.toString());
    }

    @Test
    void unknownProtocolIsAnError() throws Exception {
        Path conf = conf("{}");
        api("u.json", """
                {
                  "api_id": "u",
                  "use_keyless": true,
                  "protocol": "udp",
                  "proxy": {"listen_path": "/u/", "target_url": "http://127.0.0.1:9000"}
                }
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        assertEquals("/protocol", onlyError(report).jsonPath());
    }

    @Test
    void certificateIsAcceptedAsAliasOfCertificates() throws Exception {
        Path conf = conf("{}");
        copyCertificates();
        api("docs.json", """
                {
                  "api_id": "docs",
                  "use_keyless": true,
                  "protocol": "https",
                  "certificate": ["certs/docs.pem"],
                  "proxy": {"listen_path": "/docs/", "target_url": "http://127.0.0.1:9000"}
                }
                """);
        api("code.json", """
                {
                  "api_id": "code",
                  "use_keyless": true,
                  "protocol": "https",
                  "certificates": ["certs/code.pem"],
                  "proxy": {"listen_path": "/code/", "target_url": "http://127.0.0.1:9000"}
                }
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.problems());
        assertEquals(List.of("certs/code.pem"), report.apis().get(0).definition().certificates());
        assertEquals(List.of("certs/docs.pem"), report.apis().get(1).definition().certificates());
    }

    @ParameterizedTest
    @ValueSource(strings = {"certificate", "certificates"})
    void certificateThatIsNotAPemFileIsAnErrorNamingTheFieldAsSpelledAndWhatIsExpected(String field)
            throws Exception {
        Path conf = conf("{}");
        api("secure.json", """
                {"api_id": "secure", "listen_port": 30001, "protocol": "tls", "%s": ["<cert-id>"],
                 "proxy": {"target_url": "tls://upstream:9191"}}
                """.formatted(field));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        LoadProblem error = onlyError(report);
        assertEquals("secure.json", error.file());
        assertEquals("/" + field + "/0", error.jsonPath());
        assertEquals("secure", error.apiId());
        assertTrue(error.reason().startsWith("'<cert-id>' is not a readable PEM file"), error.reason());
        assertTrue(error.reason().contains("expected a path to a PEM file holding the certificate, with its key"
                + " beside it (x.pem and x.key) or in the same file"), error.reason());
    }

    @Test
    void unreadableClientCertificateIsAnErrorNamingItsEntry() throws Exception {
        Path conf = conf("{}");
        Files.copy(TestCerts.caPem(), dir.resolve("ca.pem"));
        Files.writeString(dir.resolve("empty.pem"), "not a certificate\n");
        api("m.json", """
                {"api_id": "m", "use_keyless": true, "protocol": "https", "use_mutual_tls_auth": true,
                 "client_certificates": ["ca.pem", "missing.pem", "empty.pem"],
                 "proxy": {"listen_path": "/m/", "target_url": "http://127.0.0.1:9000"}}
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of(), report.apis());
        List<LoadProblem> errors = report.problems().stream().filter(LoadProblem::isError).toList();
        assertEquals(List.of("/client_certificates/1", "/client_certificates/2"),
                errors.stream().map(LoadProblem::jsonPath).toList(), errors::toString);
        assertTrue(errors.get(0).reason().contains("missing.pem does not exist"), errors.get(0).reason());
        assertTrue(errors.get(1).reason().contains("holds no"), errors.get(1).reason());
    }

    @Test
    void mutualTlsWithoutClientCertificatesIsAnError() throws Exception {
        Path conf = conf("{}");
        api("m.json", """
                {"api_id": "m", "use_keyless": true, "protocol": "https", "use_mutual_tls_auth": true,
                 "proxy": {"listen_path": "/m/", "target_url": "http://127.0.0.1:9000"}}
                """);

        assertEquals("/client_certificates", onlyError(ConfigLoader.load(conf)).jsonPath());
    }

    @Test
    void certificateGivenAsOneStringIsNamedWithoutAnIndex() throws Exception {
        Path conf = conf("{}");
        api("s.json", """
                {"api_id": "s", "use_keyless": true, "protocol": "https", "certificate": "nowhere.pem",
                 "proxy": {"listen_path": "/s/", "target_url": "http://127.0.0.1:9000"}}
                """);

        LoadProblem error = onlyError(ConfigLoader.load(conf));

        assertEquals("/certificate", error.jsonPath());
        assertTrue(error.reason().contains("nowhere.pem"), error.reason());
    }

    @Test
    void certificateWithoutItsKeyIsAnError() throws Exception {
        Path conf = conf("{}");
        Files.copy(TestCerts.localhostPem(), dir.resolve("lonely.pem"));
        api("s.json", """
                {"api_id": "s", "protocol": "tls", "listen_port": 9443, "certificates": ["lonely.pem"],
                 "proxy": {"target_url": "127.0.0.1:9000"}}
                """);

        LoadProblem error = onlyError(ConfigLoader.load(conf));

        assertEquals("/certificates/0", error.jsonPath());
        assertTrue(error.reason().contains("lonely.key"), error.reason());
    }

    @Test
    void certificatesOfAPlainHttpApiAreNotRead() throws Exception {
        Path conf = conf("{}");
        api("h.json", """
                {"api_id": "h", "use_keyless": true, "certificate": ["<cert-id>"],
                 "proxy": {"listen_path": "/h/", "target_url": "http://127.0.0.1:9000"}}
                """);

        assertEquals(List.of(), ConfigLoader.load(conf).problems());
    }

    @Test
    void inactiveApiIsSkippedWithoutError() throws Exception {
        Path conf = conf("{}");
        api("a.json", keyless("a", "/a/"));
        api("off.json", """
                {
                  "api_id": "off",
                  "active": false,
                  "use_keyless": true,
                  "enable_proxy_protocol": true,
                  "proxy": {"listen_path": "/off/", "target_url": "http://127.0.0.1:9000"}
                }
                """);

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of("a"), ids(report));
        assertEquals(List.of(), report.problems());
    }

    @Test
    void filesNotEndingInJsonAreIgnored() throws Exception {
        Path conf = conf("{}");
        api("a.json", keyless("a", "/a/"));
        api("a.json.bak", "{ not json");
        api("README.md", "# notes");
        api("b.JSON5", keyless("b", "/b/"));
        Files.createDirectories(dir.resolve("apps").resolve("folder.json"));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of("a"), ids(report));
        assertEquals(List.of(), report.problems());
    }

    @Test
    void filesLoadInNameOrder() throws Exception {
        Path conf = conf("{}");
        api("c.json", keyless("third", "/c/"));
        api("a.json", keyless("first", "/a/"));
        api("b.json", keyless("second", "/b/"));

        LoadReport report = ConfigLoader.load(conf);

        assertEquals(List.of("first", "second", "third"), ids(report));
        assertEquals(List.of("a.json", "b.json", "c.json"),
                report.apis().stream().map(LoadedApi::fileName).toList());
    }

    // --- helpers ---

    /**
     * Test certificates under the names the definitions here use, beside tyk.conf: {@code server.pem} with its
     * key beside it, and {@code certs/docs.pem} and {@code certs/code.pem} holding certificate and key.
     */
    private void copyCertificates() throws IOException {
        Files.copy(TestCerts.localhostPem(), dir.resolve("server.pem"));
        Files.copy(TestCerts.localhostKey(), dir.resolve("server.key"));
        Files.createDirectories(dir.resolve("certs"));
        Files.copy(TestCerts.examplePem(), dir.resolve("certs/docs.pem"));
        Files.copy(TestCerts.examplePem(), dir.resolve("certs/code.pem"));
    }

    private Path conf(String json) throws IOException {
        return Files.writeString(dir.resolve("tyk.conf"), json);
    }

    private void api(String fileName, String json) throws IOException {
        writeApi(Files.createDirectories(dir.resolve("apps")), fileName, json);
    }

    private static void writeApi(Path appDir, String fileName, String json) throws IOException {
        Files.writeString(appDir.resolve(fileName), json);
    }

    /** A keyless HTTP API proxying its listen path to one local target. */
    private static String keyless(String id, String listenPath) {
        return api(id, listenPath, "\"target_url\": \"http://127.0.0.1:9000\"");
    }

    /** A keyless HTTP API with {@code proxyFields} added to its {@code proxy} object. */
    private static String api(String id, String listenPath, String proxyFields) {
        return """
                {
                  "api_id": "%s",
                  "use_keyless": true,
                  "proxy": {"listen_path": "%s", %s}
                }
                """.formatted(id, listenPath, proxyFields);
    }

    private static String jsonString(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static List<String> ids(LoadReport report) {
        return report.apis().stream().map(a -> a.definition().apiId()).toList();
    }

    private static LoadProblem onlyError(LoadReport report) {
        List<LoadProblem> errors = report.errors();
        assertEquals(1, errors.size(), () -> "expected exactly one error, got " + report.problems());
        return errors.get(0);
    }
}
