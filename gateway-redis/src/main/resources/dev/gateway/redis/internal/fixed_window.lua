-- Tyk's fixed window (TykTechnologies/exp pkg/limiters FixedWindowRedis): a counter per window, named
-- <limiter key>/<window start, Unix ns>, that expires when the window ends. INCR and PEXPIRE in one script, so the
-- counter can never be left without its expiry.
--
-- KEYS[1]  the window's counter
-- ARGV[1]  ms left in the window
--
-- Returns the count, this request included.
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
