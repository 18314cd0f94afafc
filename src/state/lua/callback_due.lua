-- callback_due: a scheduled callback's time has come: it goes back into its queue at its original
-- virtual enqueue time, and its preferred agent (if any) gets a fresh preference window.
-- ARGV: 3 callbackId
-- Result: {1} | {0, 'NOT_DUE'} | {0, 'NOT_SCHEDULED'}
-- Events: callback.queued
local id = ARGV[3]
local timer = 'callback|' .. id
if not timer_due(timer) then return {0, 'NOT_DUE'} end
redis.call('ZREM', k('timers'), timer)
local c = call_get(id)
if not c or c.state ~= 'scheduled' then return {0, 'NOT_SCHEDULED'} end
redis.call('HSET', k('call', id), 'state', 'waiting')
redis.call('HDEL', k('call', id), 'dueAt')
redis.call('ZADD', k('queue', c.queueId, 'waiting'), tonumber(c.vtime), id)
local prefer_ms = tonumber(c.preferMs) or 0
if c.preferredAgentId ~= '' and prefer_ms > 0 then
  redis.call('HSET', k('call', id), 'preferredUntil', NOW + prefer_ms)
  redis.call('ZADD', k('timers'), NOW + prefer_ms, 'prefer|' .. id)
end
emit('callback.queued', { callbackId = id, queueId = c.queueId, number = c.callerNumber,
  position = position(c.queueId, id), requeued = true,
  preferredAgentId = c.preferredAgentId ~= '' and c.preferredAgentId or cjson.null })
return {1}
