/**
 * Tyk's endpoint plugins ({@code extended_paths} and the version-wide settings beside them) and an API's IP
 * lists, compiled at load into {@link dev.gateway.http.RequestFilter}s and
 * {@link dev.gateway.http.ResponseFilter}s, in the order Tyk's middleware chain runs them.
 */
package dev.gateway.plugins;
