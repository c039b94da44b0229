/**
 * The one event when an exchange ends, whatever carried it: a proxied HTTP exchange, a local answer, a WebSocket,
 * a TCP relay. The access log listens to it; metrics will.
 */
package dev.gateway.core.exchange;
