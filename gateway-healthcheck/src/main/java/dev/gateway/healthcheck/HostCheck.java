package dev.gateway.healthcheck;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

/**
 * One uptime test of one host, as {@code uptime_tests.check_list} describes it. It runs on an event loop,
 * never blocks, and finishes by its own deadline.
 */
public interface HostCheck {

    /** The host and port this check speaks for, matched against an API's targets: {@code host:port}. */
    String hostKey();

    /** Runs the check once. The future always succeeds, with the outcome; it never fails or hangs. */
    Future<CheckResult> run(EventLoop loop);
}
