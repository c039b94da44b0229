/**
 * One request and its response between a client connection and an upstream one: the filter run, the exchange,
 * the response towards the client, header rewriting and the switch-over to another protocol. What flows back to
 * the client connection goes through {@link dev.gateway.http.internal.exchange.ExchangeClient}.
 */
package dev.gateway.http.internal.exchange;
