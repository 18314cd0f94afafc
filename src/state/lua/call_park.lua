-- call_park: the agent parks the caller in a slot (music meanwhile) and is free (wrap-up or ready).
-- Any permitted agent may retrieve it; unretrieved, it comes back to the parking agent at the timeout.
-- KEYS: 1 call:<callId>, 2 parked, 3 timers, 4 events
-- ARGV: 3 callId, 4 timeoutAt ms, 5 wrap ms, 6 wrap max ms, 7 step ms, 8 userId
-- Result: {1, slot} | {0, 'NOT_CONNECTED'} | {0, 'NO_FREE_SLOT'}
-- Events: call.parked, agent.state
local CALL, PARKED = KEYS[1], KEYS[2]
TIMERS, EVENTS = KEYS[3], KEYS[4]
local id = ARGV[3]
local c = call_get(id, CALL)
if not c or c.state ~= 'connected' then return {0, 'NOT_CONNECTED'} end
local slot
for s = 1, 99 do
  if redis.call('HEXISTS', PARKED, tostring(s)) == 0 then slot = tostring(s); break end
end
if not slot then return {0, 'NO_FREE_SLOT'} end
local from = c.agentId
redis.call('HSET', PARKED, slot, id)
redis.call('HSET', CALL, 'state', 'parked', 'parkSlot', slot, 'parkedBy', from, 'parkedAt', NOW)
redis.call('HDEL', CALL, 'agentId', 'bridgeId', 'held', 'heldAt', 'agentChannelId', 'offerToken')
redis.call('ZADD', TIMERS, tonumber(ARGV[4]), 'park|' .. id .. '|' .. slot)
emit('call.parked', { callId = id, queueId = c.queueId, slot = tonumber(slot), by = from, timeoutAt = tonumber(ARGV[4]) })
agent_call_done(from, id, c.queueId, 5)
return {1, slot}
