/**
 * Demo upstreams that the gateway proxies to, so that a user can see what the gateway forwards.
 * Not part of the gateway itself; nothing in the gateway modules depends on this package.
 */
package dev.gateway.examples;
