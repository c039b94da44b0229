package dev.gateway.server;

import static dev.gateway.server.AuthGatewayTest.admin;
import static dev.gateway.server.PluginApis.grpcApi;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.examples.grpc.GrpcTestServers;
import dev.gateway.examples.grpc.helloworld.GreeterGrpc;
import dev.gateway.examples.grpc.helloworld.HelloRequest;
import dev.gateway.examples.grpc.routeguide.Point;
import dev.gateway.examples.grpc.routeguide.RouteGuideGrpc;
import dev.gateway.examples.grpc.routeguide.RouteNote;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Token auth in front of grpc-java's Greeter and RouteGuide: the key comes as call credentials (metadata
 * {@code authorization}), a per-method ACL lets {@code SayHello} through and keeps {@code RouteChat} out, and every
 * refusal is a real gRPC status (Tyk sends an HTTP error that a gRPC client reads as UNKNOWN or UNAVAILABLE).
 */
class AuthGrpcTest extends GatewayFixture {

    private GrpcTestServers grpc;
    private Gateway gateway;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        grpc = closer.later(GrpcTestServers.start(0));
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("secret", AuthGatewayTest.SECRET);
        conf.putObject("http_server_options").put("enable_http2", true);
        ObjectNode api = grpcApi("grpc", "/", grpc.port());
        api.put("use_keyless", false);
        folder.writeConf(conf).writeApi("grpc.json", api);
        gateway = startGateway(folder.conf);
        channel = h2cChannel(gateway);
    }

    /** A key on the API whose ACL allows {@code SayHello} only, plus {@code extra} session members. */
    private void key(String name, String extra) throws Exception {
        String session = "{\"access_rights\": {\"grpc\": {\"api_id\": \"grpc\", \"versions\": [\"Default\"],"
                + " \"allowed_urls\": [{\"url\": \"/helloworld.Greeter/SayHello\", \"methods\": [\"POST\"]}]}}"
                + extra + "}";
        assertEquals(200, admin(gateway.gatewayPort(), "POST", "/tyk/keys/" + name, session).statusCode());
    }

    private GreeterGrpc.GreeterBlockingStub greeter(String key) {
        GreeterGrpc.GreeterBlockingStub stub = GreeterGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS);
        return key == null ? stub : stub.withCallCredentials(authorization(key));
    }

    private static void assertStatus(Status.Code code, String description, Runnable call) {
        StatusRuntimeException failure = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, failure.getStatus().getCode(), failure.toString());
        assertEquals("gateway: " + description, failure.getStatus().getDescription());
    }

    private static HelloRequest hello(String name) {
        return HelloRequest.newBuilder().setName(name).build();
    }

    @Test
    void theAclLetsSayHelloThroughAndEachRefusalIsAGrpcStatus() throws Exception {
        key("grpc-key", "");
        assertEquals("Hello world", greeter("grpc-key").sayHello(hello("world")).getMessage());
        assertEquals("Hello bearer", greeter("Bearer grpc-key").sayHello(hello("bearer")).getMessage());
        assertStatus(Status.Code.UNAUTHENTICATED, "Authorization field missing",
                () -> greeter(null).sayHello(hello("x")));
        assertStatus(Status.Code.PERMISSION_DENIED, "Access to this API has been disallowed",
                () -> greeter("no-such-key").sayHello(hello("x")));
        assertStatus(Status.Code.PERMISSION_DENIED, "Access to this resource has been disallowed",
                () -> greeter("grpc-key").sayHelloAgain(hello("x")));
    }

    @Test
    void aBidiStreamOutsideTheAclIsRefusedBeforeItOpens() throws Exception {
        key("grpc-key", "");
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<RouteNote> notes = RouteGuideGrpc.newStub(channel).withCallCredentials(authorization("grpc-key"))
                .withDeadlineAfter(10, TimeUnit.SECONDS).routeChat(new StreamObserver<>() {
                    @Override
                    public void onNext(RouteNote value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(null);
                    }
                });
        notes.onNext(RouteNote.newBuilder().setMessage("hi").setLocation(Point.newBuilder().setLatitude(1)).build());
        ExecutionException failure = assertThrows(ExecutionException.class, () -> done.get(10, TimeUnit.SECONDS));
        Status status = Status.fromThrowable(failure.getCause());
        assertEquals(Status.Code.PERMISSION_DENIED, status.getCode());
        assertEquals("gateway: Access to this resource has been disallowed", status.getDescription());
    }

    @Test
    void expiredInactiveAndRateLimitedKeys() throws Exception {
        key("expired-key", ", \"expires\": 1");
        assertStatus(Status.Code.UNAUTHENTICATED, "Key has expired, please renew",
                () -> greeter("expired-key").sayHello(hello("x")));
        key("inactive-key", ", \"is_inactive\": true");
        assertStatus(Status.Code.PERMISSION_DENIED, "Key is inactive, please renew",
                () -> greeter("inactive-key").sayHello(hello("x")));
        key("rated-key", ", \"rate\": 2, \"per\": 60");
        greeter("rated-key").sayHello(hello("1"));
        greeter("rated-key").sayHello(hello("2"));
        assertStatus(Status.Code.RESOURCE_EXHAUSTED, "Rate Limit Exceeded",
                () -> greeter("rated-key").sayHello(hello("3")));
        key("quota-key", ", \"quota_max\": 1, \"quota_renewal_rate\": 3600");
        greeter("quota-key").sayHello(hello("1"));
        assertStatus(Status.Code.RESOURCE_EXHAUSTED, "Quota exceeded",
                () -> greeter("quota-key").sayHello(hello("2")));
    }
}
