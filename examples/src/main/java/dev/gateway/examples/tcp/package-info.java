/**
 * A TCP echo server: the upstream of the demo's {@code tcp} API, to try raw TCP relaying with {@code nc} or
 * {@code socat}.
 */
package dev.gateway.examples.tcp;
