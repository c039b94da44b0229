/**
 * End-to-end test support for TCP services, exported in gateway-tcp's test-jar: the TCP proxy under test built from
 * Tyk JSON files, the {@code tcp} and {@code tls} API definitions and port whitelists they need, real upstreams (a
 * plain echo and a Netty TLS echo, each answering its name first) and the client side (a line reader, a TLS client
 * with SNI, PROXY protocol headers).
 */
package dev.gateway.tcp.support;
