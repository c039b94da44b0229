/**
 * The HTTP proxy's entry points: {@link dev.gateway.http.proxy.HttpProxy}, what every HTTP listener of a gateway
 * shares, and {@link dev.gateway.http.proxy.HttpListenerInitializer}, the pipeline of each accepted connection.
 * This package sits on top of the module: it builds the internals, and nothing in the module uses it.
 */
package dev.gateway.http.proxy;
