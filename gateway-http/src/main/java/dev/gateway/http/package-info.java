/**
 * The HTTP module's model and extension points, which its internals use and never the other way round: routes
 * ({@link dev.gateway.http.HttpRoutes}, {@link dev.gateway.http.Route}), request filters
 * ({@link dev.gateway.http.RequestFilter}), failures, settings, and what protocols carried over HTTP plug in
 * ({@link dev.gateway.http.ProtocolRules}, {@link dev.gateway.http.ProtocolSwitch}). The listeners themselves are
 * built in {@code dev.gateway.http.proxy}.
 */
package dev.gateway.http;
