/**
 * gRPC benchmark clients that {@code bench/grpc-unary.sh} runs against the demo servers, directly and through
 * the proxies.
 */
package dev.gateway.examples.grpc.bench;
