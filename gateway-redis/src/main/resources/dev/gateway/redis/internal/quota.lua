-- Tyk's quota (gateway/session_manager.go RedisQuotaExceeded), made atomic: Tyk takes a redsync lock around the
-- renewal; one script needs none.
--   the counter has a TTL              -> count this request
--   no TTL (or none yet), renewal <= 0 -> count this request; the quota never renews
--   no TTL (or none yet), renewal > 0  -> start a period (the counter at 0, expiring in renewal s), then count
--
-- KEYS[1]  the quota counter (quota-...)
-- ARGV[1]  quota_renewal_rate, s
--
-- Returns {the count, this request included; ms until the period ends, or -1/-2 when it never does}.
local ttl = redis.call('PTTL', KEYS[1])
local renewal = tonumber(ARGV[1])
if ttl < 0 and renewal > 0 then
  redis.call('SET', KEYS[1], 0, 'EX', renewal)
  ttl = renewal * 1000
end
local count = redis.call('INCR', KEYS[1])
return {count, ttl}
