package dev.gateway.ssews;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * A JDK {@link WebSocket} client that records what it receives: whole messages (fragments gathered, their count
 * kept), pongs, the close code and errors. Every wait is bounded. Shared with the server module's tests.
 */
public final class WsClient implements AutoCloseable {

    public static final long WAIT_SECONDS = 15;

    /** A received message: text or binary, and how many frames carried it. */
    public record Message(String text, byte[] binary, int fragments) {
    }

    /** How the connection ended: a close frame's code and reason, or an error (code -1). */
    public record Ending(int code, String reason, Throwable error) {
    }

    public final WebSocket socket;
    private final Recorder recorder;

    private WsClient(WebSocket socket, Recorder recorder) {
        this.socket = socket;
        this.recorder = recorder;
    }

    public static WsClient connect(URI uri) throws Exception {
        return connect(HttpClient.newHttpClient(), uri, Map.of());
    }

    public static WsClient connect(HttpClient http, URI uri, Map<String, String> headers, String... subprotocols)
            throws Exception {
        Recorder recorder = new Recorder();
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(WAIT_SECONDS));
        headers.forEach(builder::header);
        if (subprotocols.length > 0) {
            builder.subprotocols(subprotocols[0], java.util.Arrays.copyOfRange(subprotocols, 1, subprotocols.length));
        }
        WebSocket socket = builder.buildAsync(uri, recorder).get(WAIT_SECONDS, TimeUnit.SECONDS);
        return new WsClient(socket, recorder);
    }

    /** Opens without waiting: for many connections at once. */
    public static CompletableFuture<WsClient> connectAsync(HttpClient http, URI uri) {
        Recorder recorder = new Recorder();
        return http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(WAIT_SECONDS)).buildAsync(uri, recorder)
                .thenApply(socket -> new WsClient(socket, recorder));
    }

    public static HttpClient trusting(SSLContext tls) {
        return HttpClient.newBuilder().sslContext(tls).build();
    }

    public String sendAndReceiveText(String text) throws Exception {
        socket.sendText(text, true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        return next().text();
    }

    public Message next() throws InterruptedException {
        Message message = recorder.messages.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (message == null) {
            throw new AssertionError("no message within " + WAIT_SECONDS + "s; ending: " + recorder.ending.peek());
        }
        return message;
    }

    public String nextPong() throws InterruptedException {
        String pong = recorder.pongs.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (pong == null) {
            throw new AssertionError("no pong within " + WAIT_SECONDS + "s");
        }
        return pong;
    }

    /** How the connection ended, waiting for it up to {@code seconds}. */
    public Ending ending(long seconds) throws InterruptedException {
        Ending ending = recorder.ending.poll(seconds, TimeUnit.SECONDS);
        if (ending == null) {
            throw new AssertionError("the WebSocket did not end within " + seconds + "s");
        }
        return ending;
    }

    /** The ending if it came already, or {@code null}. */
    public Ending endingNow() {
        return recorder.ending.peek();
    }

    @Override
    public void close() {
        socket.abort();
    }

    private static final class Recorder implements WebSocket.Listener {
        final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
        final BlockingQueue<String> pongs = new LinkedBlockingQueue<>();
        final BlockingQueue<Ending> ending = new LinkedBlockingQueue<>();
        private StringBuilder text = new StringBuilder();
        private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();
        private int fragments;

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            fragments++;
            if (last) {
                messages.add(new Message(text.toString(), null, fragments));
                text = new StringBuilder();
                fragments = 0;
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] part = new byte[data.remaining()];
            data.get(part);
            binary.writeBytes(part);
            fragments++;
            if (last) {
                messages.add(new Message(null, binary.toByteArray(), fragments));
                binary.reset();
                fragments = 0;
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
            pongs.add(StandardCharsets.UTF_8.decode(message).toString());
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            ending.add(new Ending(statusCode, reason, null));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            ending.add(new Ending(-1, null, error));
        }
    }
}
