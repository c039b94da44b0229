/** The authentication filters themselves; used only through {@link dev.gateway.auth.AuthFilters}. */
package dev.gateway.auth.internal;
