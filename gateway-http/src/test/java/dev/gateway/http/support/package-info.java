/**
 * End-to-end test support for the HTTP proxy: the gateway under test built from Tyk JSON text, real upstreams
 * (the JDK's HTTP server and raw sockets), raw socket clients, and heap and socket-queue probes.
 */
package dev.gateway.http.support;
