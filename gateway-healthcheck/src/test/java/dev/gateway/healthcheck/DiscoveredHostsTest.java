package dev.gateway.healthcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.config.ApiDefinition.ServiceDiscovery;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The answer shapes of Tyk's service-discovery docs: Consul's catalog and etcd's keys, nested or not. */
class DiscoveredHostsTest {

    private static ServiceDiscovery config(boolean nested, String parentPath, String dataPath, String portPath,
            boolean targetList, boolean returnsList, String targetPath) {
        return new ServiceDiscovery(true, "http://registry/", nested, parentPath, dataPath, portPath, targetList,
                returnsList, 0, targetPath);
    }

    private static final String CONSUL = """
            [{"Node": "n1", "Address": "10.0.0.1", "ServiceAddress": "", "ServicePort": 8080},
             {"Node": "n2", "Address": "10.0.0.2", "ServiceAddress": "", "ServicePort": 8081}]""";

    @Test
    void consulCatalogListGivesEveryHostWithItsPort() {
        ServiceDiscovery consul = config(false, "", "Address", "ServicePort", true, true, "");
        assertEquals(List.of("10.0.0.1:8080", "10.0.0.2:8081"), DiscoveredHosts.parse(CONSUL, consul));
    }

    @Test
    void withoutTargetListOnlyTheFirstHostIsUsed() {
        ServiceDiscovery consul = config(false, "", "Address", "ServicePort", false, true, "");
        assertEquals(List.of("10.0.0.1:8080"), DiscoveredHosts.parse(CONSUL, consul));
    }

    @Test
    void targetPathIsAppendedToEveryHost() {
        ServiceDiscovery consul = config(false, "", "Address", "ServicePort", true, true, "/api");
        assertEquals(List.of("10.0.0.1:8080/api", "10.0.0.2:8081/api"), DiscoveredHosts.parse(CONSUL, consul));
    }

    @Test
    void etcdNestedListIsParsedFromTheValueString() {
        String etcd = """
                {"action": "get", "node": {"key": "/services/web",
                 "value": "[{\\"hostname\\": \\"http://10.0.0.5\\", \\"port\\": \\"9000\\"}, {\\"hostname\\": \\"http://10.0.0.6\\", \\"port\\": 9001}]"}}""";
        ServiceDiscovery nested = config(true, "node.value", "hostname", "port", true, false, "");
        assertEquals(List.of("http://10.0.0.5:9000", "http://10.0.0.6:9001"), DiscoveredHosts.parse(etcd, nested));
    }

    @Test
    void etcdNestedSingleObject() {
        String etcd = """
                {"node": {"value": "{\\"hostname\\": \\"http://10.0.0.7:7000\\"}"}}""";
        ServiceDiscovery nested = config(true, "node.value", "hostname", "", false, false, "");
        assertEquals(List.of("http://10.0.0.7:7000"), DiscoveredHosts.parse(etcd, nested));
    }

    @Test
    void objectWithAListAtTheParentPath() {
        String etcdDir = """
                {"node": {"nodes": [{"value": "10.0.0.8:80"}, {"value": "10.0.0.9:80"}]}}""";
        ServiceDiscovery list = config(false, "node.nodes", "value", "", true, false, "");
        assertEquals(List.of("10.0.0.8:80", "10.0.0.9:80"), DiscoveredHosts.parse(etcdDir, list));
    }

    @Test
    void singleObjectByDataPath() {
        ServiceDiscovery single = config(false, "", "node.value", "", false, false, "");
        assertEquals(List.of("https://api.internal"),
                DiscoveredHosts.parse("{\"node\": {\"value\": \"https://api.internal\"}}", single));
    }

    @Test
    void answersWithoutHostsOrJsonAreErrorsNamingWhy() {
        ServiceDiscovery consul = config(false, "", "Address", "ServicePort", true, true, "");
        IllegalArgumentException notJson = assertThrows(IllegalArgumentException.class,
                () -> DiscoveredHosts.parse("<html>", consul));
        assertTrue(notJson.getMessage().contains("not JSON"), notJson.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> DiscoveredHosts.parse("[]", consul));
        assertTrue(empty.getMessage().contains("no host at data_path 'Address'"), empty.getMessage());
        ServiceDiscovery nested = config(true, "node.value", "hostname", "", true, false, "");
        IllegalArgumentException notNested = assertThrows(IllegalArgumentException.class,
                () -> DiscoveredHosts.parse("{\"node\": {}}", nested));
        assertTrue(notNested.getMessage().contains("parent_data_path 'node.value'"), notNested.getMessage());
    }
}
