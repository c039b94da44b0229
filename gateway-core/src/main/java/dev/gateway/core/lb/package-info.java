/**
 * Upstream targets and load balancing: {@link dev.gateway.core.lb.TargetGroup} rotates over the targets that
 * {@link dev.gateway.core.lb.HostHealth} reports up.
 */
package dev.gateway.core.lb;
