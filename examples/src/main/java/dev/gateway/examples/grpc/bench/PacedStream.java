package dev.gateway.examples.grpc.bench;

import dev.gateway.examples.CommandLine;
import dev.gateway.examples.grpc.RouteGuideService;
import dev.gateway.examples.grpc.routeguide.Feature;
import dev.gateway.examples.grpc.routeguide.RouteGuideGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A server-streaming call that stays open and keeps moving: one RouteGuide/ListFeatures call in
 * {@link RouteGuideService#paceRequest pace mode}, watched as it arrives. {@code bench/reload-under-load.sh} runs it
 * through the gateway while the gateway reloads, to show that an open stream is left alone.
 *
 * <pre>
 * java -cp examples.jar dev.gateway.examples.grpc.bench.PacedStream [--count 400] [--interval-ms 50] HOST:PORT
 * </pre>
 *
 * <p>Prints {@code first} on stdout once the first message is in (the call is open end to end), then one line when
 * the call ends:
 *
 * <pre>
 * stream messages N of C seconds S first_ms F max_gap_ms G status OK
 * </pre>
 *
 * <p>{@code first_ms} is the wait from the call's start to the first message (a new connection upstream, the JIT),
 * {@code max_gap_ms} the longest wait between two messages after it. The exit status is 0 only when the call ended
 * with OK after exactly {@code C} messages, numbered 0 to {@code C - 1} in order; otherwise 1 with the problem on
 * stderr (the line is printed all the same), 2 on a usage error.
 */
public final class PacedStream {

    /** Time allowed beyond the stream's own length before the call's deadline cuts it. */
    private static final long DEADLINE_MARGIN_SECONDS = 60;

    private static final String USAGE = "usage: java -cp examples.jar " + PacedStream.class.getName()
            + " [--count 400] [--interval-ms 50] HOST:PORT";
    private static final CommandLine CLI = new CommandLine(USAGE);

    private PacedStream() {
    }

    public static void main(String[] args) throws InterruptedException {
        int count = 400;
        int intervalMillis = 50;
        String target = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--count" -> count = CLI.atLeast(CLI.valueOf(args, ++i, "--count"), 1);
                case "--interval-ms" -> intervalMillis = CLI.between(CLI.valueOf(args, ++i, "--interval-ms"), 1,
                        RouteGuideService.MAX_PACE_MILLIS);
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> {
                    if (target != null || args[i].lastIndexOf(':') < 1) {
                        CLI.fail("one HOST:PORT, not " + args[i]);
                    }
                    target = args[i];
                }
            }
        }
        if (target == null) {
            CLI.fail("no HOST:PORT");
        }
        ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
                .directExecutor()
                .build();
        int status;
        try {
            status = watch(channel, count, intervalMillis);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        System.exit(status);
    }

    private static int watch(ManagedChannel channel, int count, int intervalMillis) throws InterruptedException {
        long deadlineSeconds = (long) count * intervalMillis / 1000 + DEADLINE_MARGIN_SECONDS;
        CompletableFuture<Status> done = new CompletableFuture<>();
        Watcher watcher = new Watcher(System.nanoTime());
        RouteGuideGrpc.newStub(channel)
                .withDeadlineAfter(deadlineSeconds, TimeUnit.SECONDS)
                .listFeatures(RouteGuideService.paceRequest(count, intervalMillis), new StreamObserver<>() {
                    @Override
                    public void onNext(Feature feature) {
                        watcher.received(feature.getLocation().getLatitude());
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
            status = done.get(deadlineSeconds + 5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            status = Status.UNKNOWN.withDescription("the call did not end: " + e);
        }
        // Every callback has run once done completed, so the watcher's fields are settled.
        System.out.printf(Locale.ROOT,
                "stream messages %d of %d seconds %.3f first_ms %.1f max_gap_ms %.1f status %s%n", watcher.messages,
                count, (System.nanoTime() - watcher.start) / 1e9, watcher.firstNanos / 1e6, watcher.maxGapNanos / 1e6,
                status.getCode());
        System.out.flush();
        String problem = watcher.problem;
        if (problem == null && !status.isOk()) {
            problem = "ended with " + status.getCode()
                    + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")");
        }
        if (problem == null && watcher.messages != count) {
            problem = "received " + watcher.messages + " of " + count + " messages";
        }
        if (problem != null) {
            System.err.println("ListFeatures (pace): " + problem);
            return 1;
        }
        return 0;
    }

    /** Counts and times the messages; called on the transport thread only (direct executor). */
    private static final class Watcher {
        final long start;
        long last;
        long firstNanos;
        long maxGapNanos;
        int messages;
        String problem;

        Watcher(long start) {
            this.start = start;
            this.last = start;
        }

        void received(int number) {
            long now = System.nanoTime();
            if (messages == 0) {
                firstNanos = now - start;
            } else {
                maxGapNanos = Math.max(maxGapNanos, now - last);
            }
            last = now;
            if (number != messages && problem == null) {
                problem = "message #" + messages + " arrived as #" + number;
            }
            if (messages++ == 0) {
                System.out.println("first");
                System.out.flush();
            }
        }
    }
}
