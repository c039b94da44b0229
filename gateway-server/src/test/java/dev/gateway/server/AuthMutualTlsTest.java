package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.testing.TestTls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/**
 * Mutual TLS and token auth together, through the whole gateway on an HTTPS port: the certificate is checked first,
 * as Tyk's chain does, then the key; a keyless API beside them on the same port serves clients without a
 * certificate.
 */
class AuthMutualTlsTest extends GatewayFixture {

    private HttpResponse<String> get(Gateway gateway, SSLContext tls, String path, String key) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(tls)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://localhost:" + gateway.gatewayPort()
                + path));
        if (key != null) {
            request.header("Authorization", key);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theCertificateIsCheckedBeforeTheKey() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("secret", AuthGatewayTest.SECRET);
        conf.putObject("http_server_options").put("enable_http2", true);
        folder.serveTls(conf);
        folder.copy(TestCerts.caPem(), "certs/ca.pem");
        ObjectNode both = ConfFolder.api("both", "/both/", upstream.url("/"));
        both.put("use_keyless", false).put("use_mutual_tls_auth", true).putArray("client_certificates")
                .add("certs/ca.pem");
        folder.writeConf(conf).writeApi("both.json", both)
                .writeApi("open.json", ConfFolder.api("open", "/open/", upstream.url("/")));
        Gateway gateway = startGateway(folder.conf);
        SSLContext withCert = TestTls.presentingToTestCa(TestCerts.clientPem(), TestCerts.clientKey());
        SSLContext without = TestTls.presentingToTestCa(null, null);
        HttpResponse<String> created = HttpClient.newBuilder().sslContext(without).build().send(HttpRequest
                .newBuilder(URI.create("https://localhost:" + gateway.gatewayPort() + "/tyk/keys/mtls-key"))
                .header("x-tyk-authorization", AuthGatewayTest.SECRET)
                .POST(HttpRequest.BodyPublishers.ofString("{\"access_rights\": {\"both\": {\"api_id\": \"both\","
                        + " \"versions\": [\"Default\"]}}}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, created.statusCode(), "the control API needs no client certificate: " + created.body());

        HttpResponse<String> noCert = get(gateway, without, "/both/x", "mtls-key");
        assertEquals(403, noCert.statusCode());
        assertEquals("{\"error\": \"Client TLS certificate is required\"}", noCert.body());
        HttpResponse<String> noKey = get(gateway, withCert, "/both/x", null);
        assertEquals(401, noKey.statusCode());
        assertEquals(200, get(gateway, withCert, "/both/x", "mtls-key").statusCode());
        assertEquals(200, get(gateway, without, "/open/x", null).statusCode(), "the port's keyless API");
    }
}
