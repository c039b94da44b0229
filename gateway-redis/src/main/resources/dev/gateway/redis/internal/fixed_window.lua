-- Tyk's fixed window (TykTechnologies/exp pkg/limiters FixedWindowRedis): a counter per window, named
-- <limiter key>/<window start, Unix ns>, that expires when the window ends. Tyk adds 1 per request; this gateway
-- adds a lease of requests at a time (WindowLeases), 1 for rates under 200. INCRBY and PEXPIRE in one script, so
-- the counter can never be left without its expiry.
--
-- KEYS[1]  the window's counter
-- ARGV[1]  ms left in the window
-- ARGV[2]  the lease: how many requests to count
--
-- Returns the count, the lease included.
local lease = tonumber(ARGV[2])
local count = redis.call('INCRBY', KEYS[1], lease)
if count == lease then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
