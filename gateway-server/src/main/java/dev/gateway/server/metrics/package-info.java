/**
 * The gateway's figures: every exchange's end ({@code ExchangeListener}) counted per API, and the process's own,
 * rendered in Prometheus's text format at {@code /metrics} on the control listener.
 */
package dev.gateway.server.metrics;
