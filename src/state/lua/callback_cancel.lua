-- callback_cancel: the request is withdrawn (by a supervisor, or the customer called in again).
-- ARGV: 3 callbackId
-- Result: {1} | {0, 'NOT_FOUND'} | {0, 'FINISHED'} | {0, 'IN_PROGRESS'}
-- Events: callback.cancelled
local id = ARGV[3]
local c = call_get(id)
if not c or c.kind ~= 'callback' then return {0, 'NOT_FOUND'} end
if c.state == 'completed' or c.state == 'cancelled' then return {0, 'FINISHED'} end
if c.state == 'offered' or c.state == 'connected' then return {0, 'IN_PROGRESS'} end
redis.call('ZREM', k('queue', c.queueId, 'waiting'), id)
redis.call('ZREM', k('timers'), 'callback|' .. id, 'prefer|' .. id)
redis.call('HSET', k('call', id), 'state', 'cancelled', 'endedAt', NOW)
callback_finish(id)
emit('callback.cancelled', { callbackId = id, queueId = c.queueId })
return {1}
