-- callback_reschedule: try again at a given time (the customer was not reached, or asked for later).
-- At that time callback_due puts it back into its queue at its original place.
-- ARGV: 3 callbackId, 4 dueAt ms
-- Result: {1} | {0, 'NOT_FOUND'} | {0, 'FINISHED'} | {0, 'IN_PROGRESS'} | {0, 'MAX_ATTEMPTS'}
-- Events: callback.scheduled
local id, due = ARGV[3], tonumber(ARGV[4])
local c = call_get(id)
if not c or c.kind ~= 'callback' then return {0, 'NOT_FOUND'} end
if c.state == 'completed' or c.state == 'cancelled' then return {0, 'FINISHED'} end
if c.state == 'offered' or c.state == 'connected' then return {0, 'IN_PROGRESS'} end
if tonumber(c.attempts) >= tonumber(c.maxAttempts) then return {0, 'MAX_ATTEMPTS'} end
redis.call('ZREM', k('queue', c.queueId, 'waiting'), id)
redis.call('ZREM', k('timers'), 'prefer|' .. id)
redis.call('HDEL', k('call', id), 'preferredUntil')
redis.call('HSET', k('call', id), 'state', 'scheduled', 'dueAt', due)
redis.call('ZADD', k('timers'), due, 'callback|' .. id)
emit('callback.scheduled', { callbackId = id, queueId = c.queueId, number = c.callerNumber, dueAt = due })
return {1}
