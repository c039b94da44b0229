package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.testing.Ports;
import dev.gateway.examples.grpc.GrpcTestServers;
import dev.gateway.examples.grpc.helloworld.GreeterGrpc;
import dev.gateway.examples.grpc.helloworld.HelloRequest;
import dev.gateway.examples.tcp.TcpEchoServer;
import dev.gateway.http.support.Clients;
import io.grpc.ManagedChannel;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shipped {@code config/} with the demo backends, as {@code bin/demo} runs them: every API loads, gRPC server
 * reflection answers through the gateway (what {@code grpcurl list} and {@code describe} ask), and the {@code tcp}
 * API relays to the echo server. Each demo port is mapped to a free one, so the test never needs the demo's ports.
 */
class DemoConfigTest extends GatewayFixture {

    /** The demo's ports, as {@code config/} and {@code bin/demo} have them. */
    private static final int DEMO_GRPC_PORT = 50051;
    private static final int DEMO_TCP_ECHO_PORT = TcpEchoServer.DEFAULT_PORT;
    private static final int DEMO_TCP_API_PORT = 8090;
    private static final int DEMO_REDIS_API_PORT = 6380;
    private static final int LOCAL_REDIS_PORT = 6379;
    private static final int DEMO_HTTP_PORT = 9001;

    private static final long CALL_TIMEOUT_SECONDS = 10;

    private GrpcTestServers grpc;
    private TcpEchoServer echo;
    private Gateway gateway;
    private int tcpApiPort;
    private ManagedChannel channel;

    @BeforeEach
    void startDemo() throws Exception {
        grpc = closer.later(GrpcTestServers.start(0));
        echo = closer.later(TcpEchoServer.start(0));
        tcpApiPort = Ports.freePort();
        Map<Integer, Integer> ports = new LinkedHashMap<>();
        ports.put(DEMO_GRPC_PORT, grpc.port());
        ports.put(DEMO_HTTP_PORT, upstream.port());
        ports.put(DEMO_TCP_ECHO_PORT, echo.port());
        ports.put(DEMO_TCP_API_PORT, tcpApiPort);
        ports.put(DEMO_REDIS_API_PORT, Ports.freePort());
        // Nobody listens there: the test must not talk to a redis-server that happens to run on this machine.
        ports.put(LOCAL_REDIS_PORT, Ports.freePort());
        Path conf = copyShippedConfig(ports);
        gateway = startGateway(conf);
        channel = h2cChannel(gateway);
    }

    /**
     * Copies {@code config/} into the test folder with each demo port replaced as a whole number, in the API files
     * and in {@code tyk.conf}'s {@code ports_whitelist} alike, so a whitelist that misses a shipped port still
     * misses its stand-in.
     */
    private Path copyShippedConfig(Map<Integer, Integer> ports) throws IOException {
        Path shipped = Path.of(System.getProperty("basedir", ".")).resolve("../config").normalize();
        assertTrue(Files.isRegularFile(shipped.resolve("tyk.conf")), "no config/ at " + shipped);
        try (Stream<Path> files = Files.walk(shipped)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String text = Files.readString(file);
                for (Map.Entry<Integer, Integer> port : ports.entrySet()) {
                    text = text.replaceAll("\\b" + port.getKey() + "\\b", String.valueOf(port.getValue()));
                }
                Path copy = dir.resolve("config").resolve(shipped.relativize(file).toString());
                Files.createDirectories(copy.getParent());
                Files.writeString(copy, text);
            }
        }
        return dir.resolve("config/tyk.conf");
    }

    @Test
    void tokenAuthAsTheReadmeShowsIt() throws Exception {
        String session = "{\"org_id\": \"default\", \"access_rights\": {\"demo-keyed\": {\"api_id\":"
                + " \"demo-keyed\", \"versions\": [\"Default\"]}}, \"rate\": 5, \"per\": 60}";
        HttpResponse<String> created = AuthGatewayTest.admin(gateway.gatewayPort(), "POST", "/tyk/keys/demo-key",
                session);
        assertEquals("{\"key\":\"defaultdemo-key\",\"status\":\"ok\",\"action\":\"added\"}", created.body());
        String url = url(gateway.gatewayPort(), "/keyed/hello");
        assertEquals(401, Clients.get(client, url).statusCode());
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> served = client.send(Clients.request(URI.create(url)).header("Authorization",
                    "demo-key").build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(upstream.bodyFor("/hello"), served.body());
        }
        assertEquals(429, client.send(Clients.request(URI.create(url)).header("Authorization", "demo-key").build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
    }

    @Test
    void everyShippedApiLoadsWithoutAnError() throws IOException {
        long apiFiles;
        try (Stream<Path> files = Files.list(dir.resolve("config/apps"))) {
            apiFiles = files.filter(f -> f.toString().endsWith(".json")).count();
        }

        List<LoadProblem> errors = gateway.snapshot().problems().stream().filter(LoadProblem::isError).toList();

        assertEquals(List.of(), errors);
        assertEquals(apiFiles, gateway.snapshot().apis().size());
    }

    @Test
    void reflectionListsTheDemoServicesThroughTheGateway() throws Exception {
        Set<String> expected = Set.of("helloworld.Greeter", "routeguide.RouteGuide",
                "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection");

        ServerReflectionResponse v1 = reflectV1(ServerReflectionRequest.newBuilder().setListServices("").build());
        io.grpc.reflection.v1alpha.ServerReflectionResponse v1alpha = reflectV1Alpha(
                io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder().setListServices("").build());

        assertEquals(expected, Set.copyOf(v1.getListServicesResponse().getServiceList().stream()
                .map(ServiceResponse::getName).toList()), v1.toString());
        assertEquals(expected, Set.copyOf(v1alpha.getListServicesResponse().getServiceList().stream()
                .map(io.grpc.reflection.v1alpha.ServiceResponse::getName).toList()), v1alpha.toString());
    }

    @Test
    void reflectionDescribesAServiceThroughTheGateway() throws Exception {
        ServerReflectionResponse response = reflectV1(ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol("helloworld.Greeter").build());

        FileDescriptorProto file = FileDescriptorProto.parseFrom(
                response.getFileDescriptorResponse().getFileDescriptorProto(0));
        assertEquals("helloworld", file.getPackage());
        assertEquals("SayHello", file.getService(0).getMethod(0).getName(), file.toString());
    }

    @Test
    void greeterAnswersThroughTheGatewayAsTheDemoPrints() {
        String message = GreeterGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .sayHello(HelloRequest.newBuilder().setName("joe").build()).getMessage();

        assertEquals("Hello joe", message);
    }

    @Test
    void tcpApiEchoesThroughTheGatewayAndEndsOnHalfClose() throws Exception {
        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(tcpApiPort))) {
            client.setSoTimeout((int) Clients.REQUEST_TIMEOUT.toMillis());
            OutputStream out = client.getOutputStream();
            InputStream in = client.getInputStream();
            out.write("hello\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("hello\n", new String(in.readNBytes(6), StandardCharsets.US_ASCII));

            // As nc -q1 does at the end of its input: the echo server closes in turn, and so does the gateway.
            client.shutdownOutput();
            assertEquals(-1, in.read());
        }
    }

    private ServerReflectionResponse reflectV1(ServerReflectionRequest request) throws Exception {
        return reflect(observer -> ServerReflectionGrpc.newStub(channel)
                .withDeadlineAfter(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS).serverReflectionInfo(observer), request);
    }

    private io.grpc.reflection.v1alpha.ServerReflectionResponse reflectV1Alpha(
            io.grpc.reflection.v1alpha.ServerReflectionRequest request) throws Exception {
        return reflect(observer -> io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel)
                .withDeadlineAfter(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS).serverReflectionInfo(observer), request);
    }

    /** One request on the bidirectional reflection stream, its first answer, then the end of the call. */
    private static <Q, A> A reflect(Function<StreamObserver<A>, StreamObserver<Q>> call, Q request) throws Exception {
        CompletableFuture<A> answer = new CompletableFuture<>();
        StreamObserver<Q> requests = call.apply(new StreamObserver<>() {
            @Override
            public void onNext(A value) {
                answer.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                answer.completeExceptionally(new AssertionError("the call ended without an answer"));
            }
        });
        requests.onNext(request);
        requests.onCompleted();
        return answer.get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
}
