/**
 * Upstream connections: per-event-loop pools, the connector, HTTP/1.1 connections and HTTP/2 connections with
 * their streams. What flows back to the exchange that owns a connection goes through
 * {@link dev.gateway.http.internal.client.UpstreamExchange}.
 */
package dev.gateway.http.internal.client;
