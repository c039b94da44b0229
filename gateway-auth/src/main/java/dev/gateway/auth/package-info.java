/**
 * Authentication and access control as Tyk does them, as request filters over a
 * {@link dev.gateway.core.keys.KeyStore}: the key a request carries, the key's state, its rights on the API.
 */
package dev.gateway.auth;
