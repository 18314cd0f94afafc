-- callback_prefer_end: the preferred agent's window is over: any suitable agent may now take it.
-- ARGV: 3 callbackId
-- Result: {1} | {0, 'NOT_DUE'}
-- Events: callback.preference_ended
local id = ARGV[3]
local timer = 'prefer|' .. id
if not timer_due(timer) then return {0, 'NOT_DUE'} end
redis.call('ZREM', k('timers'), timer)
local c = call_get(id)
if not c or not c.preferredUntil then return {0, 'NOT_DUE'} end
redis.call('HDEL', k('call', id), 'preferredUntil')
emit('callback.preference_ended', { callbackId = id, queueId = c.queueId, preferredAgentId = c.preferredAgentId })
return {1}
