package dev.gateway.examples.grpc;

import dev.gateway.examples.grpc.helloworld.GreeterGrpc;
import dev.gateway.examples.grpc.helloworld.HelloRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;

/**
 * Calls {@code helloworld.Greeter/SayHello} once over h2c and prints the reply, for the README's demo where
 * grpcurl is not installed:
 *
 * <pre>java -cp examples.jar dev.gateway.examples.grpc.GreeterClient localhost:8080 joe</pre>
 *
 * Exits 1 with the gRPC status when the call fails, 2 on a usage error.
 */
public final class GreeterClient {

    private GreeterClient() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2 || !args[0].contains(":")) {
            System.err.println("usage: GreeterClient HOST:PORT NAME");
            System.exit(2);
            return;
        }
        ManagedChannel channel = Grpc.newChannelBuilder(args[0], InsecureChannelCredentials.create()).build();
        try {
            String message = GreeterGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .sayHello(HelloRequest.newBuilder().setName(args[1]).build())
                    .getMessage();
            System.out.println("{\"message\": \"" + message + "\"}");
        } catch (StatusRuntimeException e) {
            System.err.println("call failed: " + e.getStatus());
            System.exit(1);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
