-- callback_complete: the callback is done. During its call it completes when the call ends.
-- ARGV: 3 callbackId
-- Result: {1, state} | {0, 'NOT_FOUND'} | {0, 'FINISHED'} (already completed or cancelled) | {0, 'RINGING'}
-- Events: callback.completed (at once, or from callback_attempt_end when it was on a call)
local id = ARGV[3]
local c = call_get(id)
if not c or c.kind ~= 'callback' then return {0, 'NOT_FOUND'} end
if c.state == 'completed' or c.state == 'cancelled' then return {0, 'FINISHED'} end
if c.state == 'offered' then return {0, 'RINGING'} end
if c.state == 'connected' then
  redis.call('HSET', k('call', id), 'completeOnEnd', '1')
  return {1, 'connected'}
end
redis.call('ZREM', k('queue', c.queueId, 'waiting'), id)
redis.call('ZREM', k('timers'), 'callback|' .. id, 'prefer|' .. id)
redis.call('HSET', k('call', id), 'state', 'completed', 'endedAt', NOW)
callback_finish(id)
emit('callback.completed', { callbackId = id, queueId = c.queueId })
return {1, 'completed'}
