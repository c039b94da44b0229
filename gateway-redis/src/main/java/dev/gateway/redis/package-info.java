/**
 * Keys, rate limits and quotas in Redis, under Tyk's key names, for gateways that share them: {@link
 * dev.gateway.redis.RedisStorage} connects from {@code tyk.conf}'s {@code storage} and hands out the stores.
 */
package dev.gateway.redis;
