/**
 * End-to-end test support for the HTTP proxy: the gateway under test built from Tyk JSON text, real upstreams
 * (the JDK's HTTP server and raw sockets), raw socket clients (HTTP/1.1 bytes, HTTP/2 frames), and heap and
 * socket-queue probes. What is not HTTP (certificates, TLS contexts, the closer, log capture) is in gateway-core's
 * test-jar, {@code dev.gateway.core.testing}.
 */
package dev.gateway.http.support;
