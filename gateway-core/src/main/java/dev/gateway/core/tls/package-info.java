/**
 * TLS contexts built once at load: server contexts per SNI name from PEM files, and client contexts for
 * upstreams. OpenSSL (BoringSSL) is the provider where it loads, the JDK's otherwise.
 */
package dev.gateway.core.tls;
