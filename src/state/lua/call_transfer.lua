-- call_transfer: a connected call is handed on (blind transfer). The agent who had it goes to
-- wrap-up (or ready), and the call:
--   agent:    is offered to the target agent at once (reserved now, like any offer: token, expiry);
--   queue:    waits in the target queue at its ORIGINAL virtual enqueue time (it keeps its place in time);
--   external: leaves the ACD for a dialplan extension or number (the call record ends here).
-- ARGV: 3 callId, 4 kind (agent | queue | external), 5 target (agent id | queue id | extension),
--       6 token (agent), 7 expiresAt (agent), 8 agentChannelId (agent), 9 wrap ms, 10 wrap max ms, 11 step ms, 12 userId
-- Result: {1, fromAgentId} | {0, 'NOT_CONNECTED'} | {0, 'CONSULT_IN_PROGRESS'} | {0, 'TARGET_NOT_READY'} | {0, 'SAME_AGENT'}
-- Events: call.transferred, agent.state (both agents), call.offered | call.queued
local id, kind, target = ARGV[3], ARGV[4], ARGV[5]
local c = call_get(id)
if not c or c.state ~= 'connected' then return {0, 'NOT_CONNECTED'} end
-- the consulted party would be left in a destroyed bridge, its agent reserved: finish the consultation first
if c.consultId then return {0, 'CONSULT_IN_PROGRESS'} end
local from = c.agentId
if kind == 'agent' then
  if target == from then return {0, 'SAME_AGENT'} end
  if agent_get(target).state ~= 'ready' then return {0, 'TARGET_NOT_READY'} end
end
emit('call.transferred', { callId = id, queueId = c.queueId, fromAgentId = from, kind = kind, target = target, by = ARGV[12] })
redis.call('HDEL', k('call', id), 'bridgeId', 'held', 'heldAt')
redis.call('HINCRBY', k('call', id), 'transfers', 1)
if kind == 'agent' then
  local token = ARGV[6]
  redis.call('HSET', k('call', id), 'state', 'offered', 'agentId', target, 'offerToken', token, 'agentChannelId', ARGV[8], 'offeredAt', NOW)
  redis.call('ZADD', k('timers'), tonumber(ARGV[7]), 'offer|' .. id .. '|' .. token)
  emit('call.offered', { callId = id, queueId = c.queueId, agentId = target, callerNumber = c.callerNumber, kind = 'call', transfer = true })
  agent_set_state(target, 'reserved', nil, {'callId', id, 'offerToken', token})
elseif kind == 'queue' then
  redis.call('HSET', k('call', id), 'state', 'waiting', 'queueId', target, 'fromQueueId', c.queueId, 'queuedAt', NOW)
  redis.call('HDEL', k('call', id), 'agentId', 'offerToken', 'agentChannelId', 'answeredAt')
  redis.call('ZADD', k('queue', target, 'waiting'), tonumber(c.vtime), id)
  emit('call.queued', { callId = id, queueId = target, callerNumber = c.callerNumber, callerName = c.callerName,
    position = position(target, id), transferred = true })
else
  call_close(id, c.node, 'ended', {'endedBy', 'transfer', 'transferredTo', target})
end
agent_call_done(from, id, c.queueId, 9)
return {1, from}
