-- Tyk's sliding log (internal/rate/sliding_log.go): a sorted set per limiter key holding one member per request,
-- scored by its time in Unix nanoseconds. Trim what fell out of the window, count what is left, log this request
-- (blocked ones too, as Tyk does) and keep the log no longer than the window. One script, so gateways sharing the
-- key cannot interleave between the count and the add.
--
-- KEYS[1]  the log (rate-limit-...)
-- ARGV[1]  now, ns          ARGV[2]  the window's start (now - per), ns
-- ARGV[3]  this request's member (unique per request)
-- ARGV[4]  per, ms (the log's expiry)
-- ARGV[5]  the rate, whole requests
--
-- Returns {requests in the window before this one, ms until the log holds fewer than rate requests again}; the
-- second is 0 while it does.
local log = KEYS[1]
redis.call('ZREMRANGEBYSCORE', log, '-inf', ARGV[2])
local before = redis.call('ZCARD', log)
redis.call('ZADD', log, ARGV[1], ARGV[3])
redis.call('PEXPIRE', log, ARGV[4])
local rate = tonumber(ARGV[5])
local wait = 0
if rate > 0 and before + 1 >= rate then
  -- the rate-th newest request: once it leaves the window, fewer than rate remain
  local nth = redis.call('ZRANGE', log, -rate, -rate, 'WITHSCORES')
  if nth[2] then
    wait = math.ceil((tonumber(nth[2]) - tonumber(ARGV[2])) / 1000000)
  end
end
return {before, wait}
