/**
 * How the Redis stores work: the Lettuce connection for each topology, the key store, the limit store and its Lua
 * scripts. Nothing outside gateway-redis uses it; {@link dev.gateway.redis.RedisStorage} is the way in.
 */
package dev.gateway.redis.internal;
