/**
 * The plugins themselves, one filter each, and the compiled path rules they share; used only through
 * {@link dev.gateway.plugins.EndpointPlugins}.
 */
package dev.gateway.plugins.internal;
