/**
 * The one event when an exchange ends, whatever carried it: a proxied HTTP exchange, a local answer, an event
 * stream, a WebSocket, a TCP relay; and, for the long-lived ones, the event when they open. The access log, the
 * metrics and the status page listen to them.
 */
package dev.gateway.core.exchange;
