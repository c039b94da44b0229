/**
 * The certificates a configuration names, made into TLS contexts: a listener's by SNI (mutual TLS included), and
 * those an API presents to its upstreams. Apart from {@code dev.gateway.core.tls} because it reads the config
 * records, and the config package reads PEM files through that one.
 */
package dev.gateway.core.tls.certificates;
