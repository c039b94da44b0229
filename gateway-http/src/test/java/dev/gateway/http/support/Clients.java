package dev.gateway.http.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/** The JDK HTTP client, pinned to HTTP/1.1, for tests that speak ordinary HTTP to the gateway. */
public final class Clients {

    /** Per-request limit, so a test fails rather than hangs. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

    private static final HttpClient HTTP = newClient();

    private Clients() {
    }

    /** One shared client: its connection pool is reused across requests, as a browser's would be. */
    public static HttpClient http() {
        return HTTP;
    }

    /** A client of its own, when a test counts or owns the connections. */
    public static HttpClient newClient() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** A client of its own that trusts what {@code tls} trusts, for HTTPS to the gateway. */
    public static HttpClient newClient(SSLContext tls) {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .sslContext(tls)
                .build();
    }

    public static HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT);
    }

    /** GET with the shared client; the body as text. */
    public static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return HTTP.send(request(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GET with {@code client}; the body as text. */
    public static HttpResponse<String> get(HttpClient client, String url) throws IOException, InterruptedException {
        return client.send(request(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
