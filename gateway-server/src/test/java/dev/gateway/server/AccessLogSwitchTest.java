package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code access_logs.enabled} is the access log's one switch, read per gateway: two in-process gateways with
 * opposite settings each keep their own, whichever started last (a shared logger level could not do that).
 */
class AccessLogSwitchTest extends GatewayFixture {

    private static final String ACCESS_LOGGER = "gateway.access";

    /** A gateway on a folder of its own with one API, {@code access_logs.enabled} as given. */
    private Gateway gatewayWithAccessLog(String name, boolean enabled) throws Exception {
        ConfFolder own = new ConfFolder(dir.resolve(name));
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("access_logs").put("enabled", enabled);
        own.writeConf(conf).writeApi(name + ".json", ConfFolder.api(name, "/" + name + "/", upstream.url()));
        return cleanup.gateway(own.conf);
    }

    private List<String> accessLines(String apiId) {
        return log.find(Level.INFO, ACCESS_LOGGER, "api=" + apiId + " ");
    }

    @Test
    void enabledGatewayLogsOneLinePerExchangeThoughADisabledOneStartedAfterIt() throws Exception {
        Gateway on = gatewayWithAccessLog("on", true);
        Gateway off = gatewayWithAccessLog("off", false);

        assertEquals(200, Net.get(client, url(on.gatewayPort(), "/on/a")).statusCode());
        assertEquals(200, Net.get(client, url(on.gatewayPort(), "/on/b?x=1")).statusCode());
        assertEquals(200, Net.get(client, url(off.gatewayPort(), "/off/a")).statusCode());

        log.awaitLogged(Level.INFO, ACCESS_LOGGER, "\"GET /on/b?x=1 HTTP/1.1\"", "status=200");
        assertEquals(2, accessLines("on").size(), String.join("\n", log.lines()));
        assertEquals(List.of(), accessLines("off"));
    }

    @Test
    void disabledGatewayLogsNothingThoughAnEnabledOneStartedAfterIt() throws Exception {
        Gateway off = gatewayWithAccessLog("off", false);
        Gateway on = gatewayWithAccessLog("on", true);

        assertEquals(200, Net.get(client, url(off.gatewayPort(), "/off/a")).statusCode());
        assertEquals(200, Net.get(client, url(on.gatewayPort(), "/on/a")).statusCode());

        // Written once the disabled gateway's exchange had ended, on an event loop; a line of that one would be in by
        // now, or very nearly.
        log.awaitLogged(Level.INFO, ACCESS_LOGGER, "api=on ", "status=200");
        assertTrue(accessLines("off").isEmpty(), String.join("\n", log.lines()));
    }
}
