/**
 * Matching a request's path against Tyk's endpoint entries, compiled at load, for the modules of request filters:
 * the path as entries see it ({@link dev.gateway.http.match.MatchInput}) and the first entry it meets
 * ({@link dev.gateway.http.match.EndpointRules}).
 */
package dev.gateway.http.match;
