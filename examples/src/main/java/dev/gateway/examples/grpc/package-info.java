/**
 * gRPC demo servers (helloworld Greeter and route_guide RouteGuide) with a few extra behaviours that the
 * gateway's gRPC tests drive: slow and failing calls, metadata echo, backpressured streams and a cancellation probe.
 */
package dev.gateway.examples.grpc;
