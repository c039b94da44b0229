/**
 * The launcher: reads the configuration, binds a listener per port, wires every protocol module explicitly, and
 * runs the lifecycle (reload on SIGHUP, drain and exit on SIGTERM).
 */
package dev.gateway.server;
