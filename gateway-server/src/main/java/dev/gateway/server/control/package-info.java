/**
 * Tyk's Gateway API ({@code /tyk/...}), the control API: keys now, policies, APIs and reloads as they land. It is a
 * {@code LocalService}, served on {@code control_api_port} when set, else on the gateway's own port, behind the
 * {@code secret}.
 */
package dev.gateway.server.control;
