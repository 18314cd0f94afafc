-- call_unpark: a parked call leaves its slot: retrieved by an agent, or back to the parking agent
-- when the park timeout passes (only once due). It is offered to that agent (reserved, with a
-- token and an expiry, like any offer). At a timeout whose parking agent is busy or gone, the caller
-- waits in the queue at their original place instead. A parking agent in wrap-up is taken out of it:
-- the call they parked comes first.
-- KEYS: 1 call:<callId>, 2 parked, 3 timers, 4 events
-- ARGV: 3 callId, 4 agentId ('' = the parking agent), 5 token, 6 offer expiresAt, 7 agentChannelId,
--       8 '1' when the park timer fires
-- Result: {1, 'offered', agentId} | {1, 'queued'} | {0, 'NOT_PARKED'} | {0, 'NOT_DUE'} | {0, 'AGENT_NOT_READY'}
-- Events: call.unparked, call.offered | call.queued, agent.state
local CALL, PARKED = KEYS[1], KEYS[2]
TIMERS, EVENTS = KEYS[3], KEYS[4]
local id, agent, token, from_timer = ARGV[3], ARGV[4], ARGV[5], ARGV[8] == '1'
local c = call_get(id, CALL)
if not c or c.state ~= 'parked' then return {0, 'NOT_PARKED'} end
local timer = 'park|' .. id .. '|' .. c.parkSlot
if from_timer then
  if not timer_due(timer) then return {0, 'NOT_DUE'} end
  agent = c.parkedBy
end
local a = agent_get(agent)
local available = a.state == 'ready' or (from_timer and a.state == 'wrap_up')
if not available and not from_timer then return {0, 'AGENT_NOT_READY'} end
redis.call('ZREM', TIMERS, timer)
redis.call('HDEL', PARKED, c.parkSlot)
redis.call('HDEL', CALL, 'parkSlot')
emit('call.unparked', { callId = id, queueId = c.queueId, slot = tonumber(c.parkSlot), agentId = agent, reason = from_timer and 'timeout' or 'retrieved' })
if not available then
  redis.call('HSET', CALL, 'state', 'waiting')
  redis.call('ZADD', k('queue', c.queueId, 'waiting'), tonumber(c.vtime), id)
  emit('call.queued', { callId = id, queueId = c.queueId, callerNumber = c.callerNumber, position = position(c.queueId, id), fromPark = true })
  return {1, 'queued'}
end
if a.state == 'wrap_up' then redis.call('ZREM', TIMERS, 'wrapup|' .. agent .. '|' .. a.wrapupToken) end
redis.call('HSET', CALL, 'state', 'offered', 'agentId', agent, 'offerToken', token, 'agentChannelId', ARGV[7], 'offeredAt', NOW)
redis.call('ZADD', TIMERS, tonumber(ARGV[6]), 'offer|' .. id .. '|' .. token)
emit('call.offered', { callId = id, queueId = c.queueId, agentId = agent, callerNumber = c.callerNumber, kind = 'call', fromPark = true })
agent_set_state(agent, 'reserved', nil, {'callId', id, 'offerToken', token}, {'wrapupToken', 'wrapupUntil', 'wrapupMax', 'wrapupStep', 'wrapupQueue'})
return {1, 'offered', agent}
