/**
 * Client connections: negotiation (TLS and ALPN, the HTTP/2 preface, the h2c upgrade), the HTTP/1.1 and HTTP/2
 * codecs, the connection's timeouts, and the handler that takes each request through its checks, its route and
 * its filters to an exchange. Uses {@code internal.exchange} and {@code internal.client}; neither uses it.
 */
package dev.gateway.http.internal.server;
