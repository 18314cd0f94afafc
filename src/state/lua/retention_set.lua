-- retention_set: how long what is over stays in Redis, as configured (every controller writes its
-- configuration at start; the transitions read it: see retention() in _lib.lua). It also brings
-- state written before retention existed under it: finished callback requests still in the live
-- set move to the finished index, and a queue's last-agent hash (one field per number, never
-- shrinking) becomes one expiring key per number.
-- ARGV: 3 finished call and monitor records (s), 4 finished callback requests (s), 5 last agent of a number (s)
-- Result: {1, moved callbacks, converted last-agent numbers}
-- Events: none (configuration and housekeeping, not a state change clients follow)
redis.call('HSET', k('retention'), 'recordSec', ARGV[3], 'callbackSec', ARGV[4], 'lastAgentSec', ARGV[5])
local moved, converted = 0, 0
for _, id in ipairs(redis.call('SMEMBERS', k('callbacks'))) do
  local state = redis.call('HGET', k('call', id), 'state')
  if state == 'completed' or state == 'cancelled' or not state then
    if state then callback_finish(id) else redis.call('SREM', k('callbacks'), id) end
    moved = moved + 1
  end
end
for _, q in ipairs(redis.call('HKEYS', k('registry', 'queues'))) do
  local old = k('queue', q, 'lastagent')
  if redis.call('TYPE', old).ok == 'hash' then
    local h = redis.call('HGETALL', old)
    for i = 1, #h, 2 do last_agent_set(q, h[i], h[i + 1]); converted = converted + 1 end
    redis.call('DEL', old)
  end
end
return {1, moved .. ',' .. converted}
