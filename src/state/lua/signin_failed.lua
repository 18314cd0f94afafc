-- signin_failed: a wrong user name or password. Counts the failure for the user name and for the
-- address (in Redis, so every controller slows the same guesser) and sets how long further attempts
-- must wait: nothing for the first `free` failures, then 1 s doubling up to `maxMs`. Counts fade
-- after `windowMs` without a failure.
-- KEYS: 1 signin:name:<name>, 2 signin:addr:<address>
-- ARGV: 3 user name, 4 address, 5 free failures per name, 6 free failures per address, 7 maxMs, 8 windowMs
-- Result: {1, waitMs} (the longer wait of the two)
-- Events: none (a guesser must not fill the event stream)
local BY_NAME, BY_ADDR = KEYS[1], KEYS[2]
local name, addr = ARGV[3], ARGV[4]
local free_name, free_addr, max_ms, window = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local function fail(key, free)
  local n = redis.call('HINCRBY', key, 'fails', 1)
  local wait = 0
  if n > free then wait = math.floor(math.min(max_ms, 1000 * 2 ^ (n - free - 1))) end
  redis.call('HSET', key, 'until', NOW + wait)
  redis.call('PEXPIRE', key, window + wait)
  return wait
end
local a = fail(BY_NAME, free_name)
local b = fail(BY_ADDR, free_addr)
return {1, math.max(a, b)}
