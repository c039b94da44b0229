/** The I/O transport: native epoll on Linux x86_64 and aarch64, NIO elsewhere. */
package dev.gateway.core.transport;
