package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.http.support.Clients;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** {@code watch_config_folders}: an API file dropped into {@code app_path} is served without asking for a reload. */
class FolderWatchTest extends GatewayFixture {

    @Test
    void aFileWrittenIntoAppPathIsServedOnceTheChangesSettle() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("watch_config_folders").put("enabled", true).put("settle_ms", 200);
        folder.writeConf(conf).writeApi("first.json", ConfFolder.api("first", "/first/", upstream.url("/")));
        Gateway gateway = startGateway(folder.conf);
        assertEquals(404, Clients.get(client, url(gateway.gatewayPort(), "/second/x")).statusCode());

        Files.writeString(dir.resolve("apps/second.json"), ConfFolder.api("second", "/second/", upstream.url("/"))
                .toString());

        log.awaitLogged(Level.INFO, "reloaded:", "2 APIs");
        assertEquals(200, Clients.get(client, url(gateway.gatewayPort(), "/second/x")).statusCode());
    }
}
