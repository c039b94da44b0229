/**
 * HTTP listeners: routing by domain and listen path ({@link dev.gateway.http.HttpRoutes}) and the streaming
 * HTTP/1.1 reverse proxy behind {@link dev.gateway.http.HttpListenerInitializer}.
 */
package dev.gateway.http;
