/**
 * TCP services: a {@code tcp} API's port accepts connections, picks an upstream from the API's target list, and
 * joins the two with the core {@code Relay}.
 */
package dev.gateway.tcp;
