/**
 * gRPC benchmark clients that the {@code bench/} scripts run against the demo servers, directly and through the
 * proxies.
 */
package dev.gateway.examples.grpc.bench;
