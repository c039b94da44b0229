/**
 * The HTTP proxy's moving parts: pipeline stages, the per-connection frontend, the per-request exchange and the
 * per-event-loop upstream pools. Nothing here is API.
 */
package dev.gateway.http.internal;
