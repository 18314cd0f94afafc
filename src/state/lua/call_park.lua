-- call_park: the agent parks the caller in a slot (music meanwhile) and is free (wrap-up or ready).
-- Any permitted agent may retrieve it; unretrieved, it comes back to the parking agent at the timeout.
-- ARGV: 3 callId, 4 timeoutAt ms, 5 wrap ms, 6 wrap max ms, 7 step ms, 8 userId
-- Result: {1, slot} | {0, 'NOT_CONNECTED'} | {0, 'NO_FREE_SLOT'}
-- Events: call.parked, agent.state
local id = ARGV[3]
local c = call_get(id)
if not c or c.state ~= 'connected' then return {0, 'NOT_CONNECTED'} end
local slot
for s = 1, 99 do
  if redis.call('HEXISTS', k('parked'), tostring(s)) == 0 then slot = tostring(s); break end
end
if not slot then return {0, 'NO_FREE_SLOT'} end
local from = c.agentId
redis.call('HSET', k('parked'), slot, id)
redis.call('HSET', k('call', id), 'state', 'parked', 'parkSlot', slot, 'parkedBy', from, 'parkedAt', NOW)
redis.call('HDEL', k('call', id), 'agentId', 'bridgeId', 'held', 'heldAt', 'agentChannelId', 'offerToken')
redis.call('ZADD', k('timers'), tonumber(ARGV[4]), 'park|' .. id .. '|' .. slot)
emit('call.parked', { callId = id, queueId = c.queueId, slot = tonumber(slot), by = from, timeoutAt = tonumber(ARGV[4]) })
agent_call_done(from, id, c.queueId, 5)
return {1, slot}
