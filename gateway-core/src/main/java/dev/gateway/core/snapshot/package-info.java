/**
 * The compiled, immutable runtime view of a configuration: which ports to open, which APIs each serves, and
 * each API's target group. A reload builds a new {@link dev.gateway.core.snapshot.GatewaySnapshot} and swaps it in.
 */
package dev.gateway.core.snapshot;
