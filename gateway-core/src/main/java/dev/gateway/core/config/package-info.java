/**
 * Tyk-compatible configuration: {@code tyk.conf} ({@link dev.gateway.core.config.GatewayConfig}) and classic
 * API definitions ({@link dev.gateway.core.config.ApiDefinition}), read by {@link dev.gateway.core.config.ConfigLoader}.
 * Field names, nesting and units are Tyk's; every record is immutable once loaded.
 */
package dev.gateway.core.config;
