package dev.gateway.examples.grpc;

import dev.gateway.examples.grpc.routeguide.Feature;
import dev.gateway.examples.grpc.routeguide.Point;
import dev.gateway.examples.grpc.routeguide.Rectangle;
import dev.gateway.examples.grpc.routeguide.RouteGuideGrpc;
import dev.gateway.examples.grpc.routeguide.RouteNote;
import dev.gateway.examples.grpc.routeguide.RouteSummary;
import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The route_guide RouteGuide over {@link #FEATURES}, a fixed grid of named points.
 *
 * <p>GetFeature, ListFeatures and RecordRoute behave as in grpc-java's example. RouteChat answers each note at
 * once with the notes sent earlier on the same call at the same location, then the note itself: every request
 * gets a reply, so a test can ping-pong. (The canonical service shares notes across calls and answers the first
 * note at a location with nothing.)
 *
 * <p>ListFeatures has two test modes, picked by the rectangle's {@code lo.latitude} (far from the grid):
 *
 * <ul>
 *   <li>{@link #GENERATE} ({@link #generateRequest}): streams {@code hi.latitude} features whose names are
 *       {@code lo.longitude} bytes long, as fast as HTTP/2 flow control lets it and no faster: the next message is
 *       written only while {@code isReady()}. A slow-consumer test reads nothing and checks that the gateway's
 *       heap stays flat while the server simply stops.</li>
 *   <li>{@link #HOLD} ({@link #holdRequest}): streams one feature, then nothing until the client cancels or its
 *       deadline expires. With a {@link CancellationProbe} a test sees the cancel reach the server.</li>
 *   <li>{@link #PACE} ({@link #paceRequest}): streams {@code hi.latitude} features, one every {@code lo.longitude}
 *       milliseconds on the scheduler the service was given, then ends with OK: a long-lived stream that keeps
 *       moving, for a client that watches it live through something else (a reload, say).</li>
 * </ul>
 *
 * <p>{@link #bindService()} also echoes the {@code x-echo} request header ({@link EchoMetadataInterceptor}).
 */
public final class RouteGuideService implements RouteGuideGrpc.AsyncService, BindableService {

    private static final Logger log = LoggerFactory.getLogger(RouteGuideService.class);

    /** {@code lo.latitude} of a ListFeatures request for generated features; see the class javadoc. */
    public static final int GENERATE = -1;

    /** {@code lo.latitude} of a ListFeatures request that holds the stream open; see the class javadoc. */
    public static final int HOLD = -2;

    /** {@code lo.latitude} of a ListFeatures request for features at a fixed pace; see the class javadoc. */
    public static final int PACE = -3;

    /** Longest pause between two paced features: a longer one is a mistake in the request, not a test. */
    public static final int MAX_PACE_MILLIS = 60_000;

    /** Longest generated name: 1 MiB stays well inside grpc-java's default 4 MiB limit on a received message. */
    public static final int MAX_GENERATED_NAME_BYTES = 1 << 20;

    /** The grid is {@code GRID_SIZE} by {@code GRID_SIZE} features. */
    private static final int GRID_SIZE = 5;

    /** South-west corner of the grid, 40N 75W in E7, and the spacing of its points, 0.1 degree. */
    private static final int GRID_LATITUDE = 400_000_000;
    private static final int GRID_LONGITUDE = -750_000_000;
    private static final int GRID_STEP = 1_000_000;

    /** E7 coordinates are degrees times 10^7. */
    private static final double COORD_FACTOR = 1e7;
    private static final int EARTH_RADIUS_METRES = 6_371_000;

    /** Every known feature, row by row from the south-west corner, named {@code "Feature <row>-<column>"}. */
    public static final List<Feature> FEATURES = grid();

    private final ScheduledExecutorService scheduler;

    /** A RouteGuide whose paced streams run on {@code scheduler}, which the caller owns and shuts down. */
    public RouteGuideService(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
    }

    @Override
    public ServerServiceDefinition bindService() {
        return ServerInterceptors.intercept(RouteGuideGrpc.bindService(this), new EchoMetadataInterceptor());
    }

    /** A point in E7 coordinates. */
    public static Point point(int latitude, int longitude) {
        return Point.newBuilder().setLatitude(latitude).setLongitude(longitude).build();
    }

    /** A ListFeatures request for {@code count} generated features with names of {@code nameBytes} bytes. */
    public static Rectangle generateRequest(int count, int nameBytes) {
        return Rectangle.newBuilder().setLo(point(GENERATE, nameBytes)).setHi(point(count, 0)).build();
    }

    /**
     * A ListFeatures request for {@code count} features, one every {@code intervalMillis}: feature {@code i} is at
     * latitude {@code i}, unnamed.
     */
    public static Rectangle paceRequest(int count, int intervalMillis) {
        return Rectangle.newBuilder().setLo(point(PACE, intervalMillis)).setHi(point(count, 0)).build();
    }

    /** A ListFeatures request that gets one feature, then a stream held open until the client cancels. */
    public static Rectangle holdRequest() {
        return Rectangle.newBuilder().setLo(point(HOLD, 0)).setHi(point(0, 0)).build();
    }

    /** The feature at {@code location}, or an unnamed feature there if none is known. */
    @Override
    public void getFeature(Point location, StreamObserver<Feature> responseObserver) {
        responseObserver.onNext(featureAt(location));
        responseObserver.onCompleted();
    }

    @Override
    public void listFeatures(Rectangle rectangle, StreamObserver<Feature> responseObserver) {
        ServerCallStreamObserver<Feature> call = (ServerCallStreamObserver<Feature>) responseObserver;
        switch (rectangle.getLo().getLatitude()) {
            case GENERATE -> streamGenerated(rectangle.getHi().getLatitude(), rectangle.getLo().getLongitude(), call);
            case HOLD -> {
                call.onNext(FEATURES.get(0));
                // No onCompleted: the call stays open until the client cancels it.
            }
            case PACE -> streamPaced(rectangle.getHi().getLatitude(), rectangle.getLo().getLongitude(), call);
            default -> {
                for (Feature feature : FEATURES) {
                    if (inside(feature.getLocation(), rectangle)) {
                        call.onNext(feature);
                    }
                }
                call.onCompleted();
            }
        }
    }

    private static void streamGenerated(int count, int nameBytes, ServerCallStreamObserver<Feature> call) {
        if (count < 0 || nameBytes < 0 || nameBytes > MAX_GENERATED_NAME_BYTES) {
            call.onError(Status.INVALID_ARGUMENT
                    .withDescription("generate needs count >= 0 and name bytes 0.." + MAX_GENERATED_NAME_BYTES)
                    .asRuntimeException());
            return;
        }
        String name = "x".repeat(nameBytes);
        // With a cancel handler, gRPC drops messages sent after a cancel instead of throwing, and stops calling
        // the ready handler: the stream just ends.
        call.setOnCancelHandler(() -> log.debug("generated stream cancelled"));
        // gRPC calls this on the call's serialized executor once the stream is writable and each time it becomes
        // writable again, so the fields need no locking.
        call.setOnReadyHandler(new Runnable() {
            private int sent;
            private boolean completed;

            @Override
            public void run() {
                while (sent < count && call.isReady()) {
                    call.onNext(Feature.newBuilder().setName(name).setLocation(point(sent, 0)).build());
                    sent++;
                }
                if (sent == count && !completed) {
                    completed = true;
                    call.onCompleted();
                }
            }
        });
    }

    private void streamPaced(int count, int intervalMillis, ServerCallStreamObserver<Feature> call) {
        if (count < 0 || intervalMillis < 1 || intervalMillis > MAX_PACE_MILLIS) {
            call.onError(Status.INVALID_ARGUMENT
                    .withDescription("pace needs count >= 0 and an interval of 1.." + MAX_PACE_MILLIS + " ms")
                    .asRuntimeException());
            return;
        }
        AtomicReference<ScheduledFuture<?>> ticks = new AtomicReference<>();
        // As in generate mode, a cancel handler makes gRPC drop what is sent after a cancel instead of throwing; it
        // also stops the ticks.
        call.setOnCancelHandler(() -> {
            ScheduledFuture<?> pending = ticks.get();
            if (pending != null) {
                pending.cancel(false);
            }
        });
        // Every tick runs on the one scheduler thread, one after another, so the observer is never called at once
        // from two threads and the counter needs no locking. The first tick may run before the future is stored.
        ticks.set(scheduler.scheduleAtFixedRate(new Runnable() {
            private int sent;
            private boolean completed;

            @Override
            public void run() {
                if (completed) {
                    return;
                }
                if (sent < count) {
                    call.onNext(Feature.newBuilder().setLocation(point(sent, 0)).build());
                    sent++;
                    return;
                }
                completed = true;
                call.onCompleted();
                ScheduledFuture<?> self = ticks.get();
                if (self != null) {
                    self.cancel(false);
                }
            }
        }, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS));
        if (call.isCancelled()) {
            ticks.get().cancel(false);
        }
    }

    /** Summarises the route once the client half-closes: points, known features passed, metres, seconds. */
    @Override
    public StreamObserver<Point> recordRoute(StreamObserver<RouteSummary> responseObserver) {
        return new StreamObserver<>() {
            private final long startNanos = System.nanoTime();
            private int pointCount;
            private int featureCount;
            private int distance;
            private Point previous;

            @Override
            public void onNext(Point point) {
                pointCount++;
                if (!featureAt(point).getName().isEmpty()) {
                    featureCount++;
                }
                if (previous != null) {
                    distance += metresBetween(previous, point);
                }
                previous = point;
            }

            @Override
            public void onError(Throwable t) {
                log.debug("recordRoute ended by the client: {}", Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos);
                responseObserver.onNext(RouteSummary.newBuilder()
                        .setPointCount(pointCount)
                        .setFeatureCount(featureCount)
                        .setDistance(distance)
                        .setElapsedTime((int) seconds)
                        .build());
                responseObserver.onCompleted();
            }
        };
    }

    /** Answers each note with this call's earlier notes at its location, then the note itself. */
    @Override
    public StreamObserver<RouteNote> routeChat(StreamObserver<RouteNote> responseObserver) {
        return new StreamObserver<>() {
            /** Per call, so that concurrent tests never see each other's notes. */
            private final Map<Point, List<RouteNote>> notes = new HashMap<>();

            @Override
            public void onNext(RouteNote note) {
                List<RouteNote> here = notes.computeIfAbsent(note.getLocation(), location -> new ArrayList<>());
                here.add(note);
                for (RouteNote earlier : here) {
                    responseObserver.onNext(earlier);
                }
            }

            @Override
            public void onError(Throwable t) {
                log.debug("routeChat ended by the client: {}", Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                responseObserver.onCompleted();
            }
        };
    }

    private static Feature featureAt(Point location) {
        for (Feature feature : FEATURES) {
            if (feature.getLocation().equals(location)) {
                return feature;
            }
        }
        return Feature.newBuilder().setLocation(location).build();
    }

    private static boolean inside(Point p, Rectangle r) {
        int left = Math.min(r.getLo().getLongitude(), r.getHi().getLongitude());
        int right = Math.max(r.getLo().getLongitude(), r.getHi().getLongitude());
        int bottom = Math.min(r.getLo().getLatitude(), r.getHi().getLatitude());
        int top = Math.max(r.getLo().getLatitude(), r.getHi().getLatitude());
        return p.getLongitude() >= left && p.getLongitude() <= right
                && p.getLatitude() >= bottom && p.getLatitude() <= top;
    }

    /** Great-circle distance in metres (haversine), as in grpc-java's example. */
    private static int metresBetween(Point start, Point end) {
        double lat1 = Math.toRadians(start.getLatitude() / COORD_FACTOR);
        double lat2 = Math.toRadians(end.getLatitude() / COORD_FACTOR);
        double deltaLat = lat2 - lat1;
        double deltaLon = Math.toRadians((end.getLongitude() - start.getLongitude()) / COORD_FACTOR);
        double a = Math.sin(deltaLat / 2) * Math.sin(deltaLat / 2)
                + Math.cos(lat1) * Math.cos(lat2) * Math.sin(deltaLon / 2) * Math.sin(deltaLon / 2);
        double c = 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
        return (int) (EARTH_RADIUS_METRES * c);
    }

    private static List<Feature> grid() {
        List<Feature> features = new ArrayList<>(GRID_SIZE * GRID_SIZE);
        for (int row = 0; row < GRID_SIZE; row++) {
            for (int column = 0; column < GRID_SIZE; column++) {
                features.add(Feature.newBuilder()
                        .setName("Feature " + row + "-" + column)
                        .setLocation(point(GRID_LATITUDE + row * GRID_STEP, GRID_LONGITUDE + column * GRID_STEP))
                        .build());
            }
        }
        return List.copyOf(features);
    }
}
