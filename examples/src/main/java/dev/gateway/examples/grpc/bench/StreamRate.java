package dev.gateway.examples.grpc.bench;

import dev.gateway.examples.CommandLine;
import dev.gateway.examples.grpc.RouteGuideService;
import dev.gateway.examples.grpc.routeguide.Feature;
import dev.gateway.examples.grpc.routeguide.Rectangle;
import dev.gateway.examples.grpc.routeguide.RouteGuideGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Server-streaming throughput: one RouteGuide/ListFeatures call in {@link RouteGuideService#generateRequest generate
 * mode} per measurement, counting the messages and bytes that arrive. Used by {@code bench/grpc-unary.sh}.
 *
 * <pre>
 * java -cp examples.jar dev.gateway.examples.grpc.bench.StreamRate [--count 1000000] [--name-bytes 64]
 *     [--rounds 3] [--warmup-count 500000] [--timeout 120] NAME=HOST:PORT...
 * </pre>
 *
 * <p>One JVM measures every target, so the client's JIT is equally warm for all of them: first one warm-up call per
 * target, then {@code --rounds} rounds that call each target in turn (interleaved, like the script's other rounds).
 * Each call prints one line on stdout:
 *
 * <pre>
 * warmup NAME messages N bytes B seconds S msgs_per_s X mb_per_s Y
 * round R NAME messages N bytes B seconds S msgs_per_s X mb_per_s Y
 * </pre>
 *
 * <p>{@code bytes} is what gRPC framed: each message's protobuf size plus its 5-byte length prefix; MB is 10^6 bytes.
 * The server writes only while the stream is ready, so the rate is what HTTP/2 flow control through the path allows.
 * Every call must end with status OK after exactly {@code --count} messages, the last one the {@code count - 1}th
 * with a name of {@code --name-bytes} bytes; anything else prints the failure on stderr and exits with status 1.
 */
public final class StreamRate {

    /** gRPC's length prefix: a compressed flag byte and a 4-byte length. */
    private static final int FRAME_PREFIX_BYTES = 5;

    private static final String USAGE = "usage: java -cp examples.jar " + StreamRate.class.getName()
            + " [--count 1000000] [--name-bytes 64] [--rounds 3] [--warmup-count 500000] [--timeout 120]"
            + " NAME=HOST:PORT...";
    private static final CommandLine CLI = new CommandLine(USAGE);

    private StreamRate() {
    }

    /** What one call received. */
    private record Result(long messages, long bytes, long nanos) {
        String line() {
            double seconds = nanos / 1e9;
            return String.format(Locale.ROOT, "messages %d bytes %d seconds %.3f msgs_per_s %.0f mb_per_s %.2f",
                    messages, bytes, seconds, messages / seconds, bytes / seconds / 1e6);
        }
    }

    public static void main(String[] args) throws InterruptedException {
        int count = 1_000_000;
        int nameBytes = 64;
        int rounds = 3;
        int warmupCount = 500_000;
        long timeoutSeconds = 120;
        Map<String, String[]> targets = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--count" -> count = CLI.atLeast(CLI.valueOf(args, ++i, "--count"), 1);
                case "--name-bytes" -> nameBytes = CLI.atLeast(CLI.valueOf(args, ++i, "--name-bytes"), 0);
                case "--rounds" -> rounds = CLI.atLeast(CLI.valueOf(args, ++i, "--rounds"), 1);
                case "--warmup-count" -> warmupCount = CLI.atLeast(CLI.valueOf(args, ++i, "--warmup-count"), 0);
                case "--timeout" -> timeoutSeconds = CLI.atLeast(CLI.valueOf(args, ++i, "--timeout"), 1);
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> {
                    String arg = args[i];
                    int eq = arg.indexOf('=');
                    int colon = arg.lastIndexOf(':');
                    if (eq <= 0 || colon < eq + 2 || colon == arg.length() - 1) {
                        CLI.fail("not NAME=HOST:PORT: " + arg);
                    }
                    targets.put(arg.substring(0, eq), new String[] {arg.substring(eq + 1, colon),
                            String.valueOf(CLI.atLeast(arg.substring(colon + 1), 1))});
                }
            }
        }
        if (targets.isEmpty()) {
            CLI.fail("no target");
        }
        if (nameBytes > RouteGuideService.MAX_GENERATED_NAME_BYTES) {
            CLI.fail("--name-bytes is at most " + RouteGuideService.MAX_GENERATED_NAME_BYTES);
        }

        Map<String, ManagedChannel> channels = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String[]> target : targets.entrySet()) {
                String[] hostPort = target.getValue();
                // Callbacks run on the transport thread: counting a message is cheaper than handing it over.
                channels.put(target.getKey(), Grpc.newChannelBuilderForAddress(hostPort[0],
                                Integer.parseInt(hostPort[1]), InsecureChannelCredentials.create())
                        .directExecutor()
                        .maxInboundMessageSize(RouteGuideService.MAX_GENERATED_NAME_BYTES + 1024)
                        .build());
            }
            if (warmupCount > 0) {
                for (Map.Entry<String, ManagedChannel> channel : channels.entrySet()) {
                    Result result = call(channel.getKey(), channel.getValue(), warmupCount, nameBytes, timeoutSeconds);
                    System.out.println("warmup " + channel.getKey() + " " + result.line());
                }
            }
            for (int round = 1; round <= rounds; round++) {
                for (Map.Entry<String, ManagedChannel> channel : channels.entrySet()) {
                    Result result = call(channel.getKey(), channel.getValue(), count, nameBytes, timeoutSeconds);
                    System.out.println("round " + round + " " + channel.getKey() + " " + result.line());
                }
            }
        } catch (CallFailed e) {
            System.out.flush();
            System.err.println(e.getMessage());
            System.exit(1);
        } finally {
            for (ManagedChannel channel : channels.values()) {
                channel.shutdownNow();
            }
            for (ManagedChannel channel : channels.values()) {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /** A call that did not deliver what generate mode promises. */
    private static final class CallFailed extends Exception {
        CallFailed(String message) {
            super(message);
        }
    }

    private static Result call(String name, ManagedChannel channel, int count, int nameBytes, long timeoutSeconds)
            throws CallFailed, InterruptedException {
        Rectangle request = RouteGuideService.generateRequest(count, nameBytes);
        CompletableFuture<Status> done = new CompletableFuture<>();
        // Written on the transport thread, read after done completes, which orders them.
        long[] received = new long[2];
        Feature[] last = new Feature[1];
        long start = System.nanoTime();
        RouteGuideGrpc.newStub(channel)
                .withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS)
                .listFeatures(request, new StreamObserver<>() {
                    @Override
                    public void onNext(Feature feature) {
                        received[0]++;
                        received[1] += feature.getSerializedSize() + FRAME_PREFIX_BYTES;
                        last[0] = feature;
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(Status.OK);
                    }
                });
        Status status;
        try {
            status = done.get(timeoutSeconds + 5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new CallFailed(name + ": ListFeatures did not end: " + e);
        }
        long nanos = System.nanoTime() - start;
        List<String> problems = new ArrayList<>();
        if (!status.isOk()) {
            problems.add("status " + status.getCode() + (status.getDescription() == null ? ""
                    : " (" + status.getDescription() + ")") + (status.getCause() == null ? ""
                    : " cause " + status.getCause()));
        }
        if (received[0] != count) {
            problems.add("received " + received[0] + " of " + count + " messages");
        }
        if (received[0] > 0 && (last[0].getLocation().getLatitude() != count - 1
                || last[0].getName().length() != nameBytes)) {
            problems.add("last message was #" + last[0].getLocation().getLatitude() + " with a "
                    + last[0].getName().length() + "-byte name");
        }
        if (!problems.isEmpty()) {
            throw new CallFailed(name + ": ListFeatures after " + String.format(Locale.ROOT, "%.3f", nanos / 1e9)
                    + " s: " + String.join("; ", problems));
        }
        return new Result(received[0], received[1], nanos);
    }
}
