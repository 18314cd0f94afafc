-- offer_accept: the agent answered the offer; caller and agent are being bridged.
-- ARGV: 3 callId, 4 token, 5 bridgeId
-- Result: {1, agentId} | {0, 'STALE_OFFER'} (the caller left or the offer expired meanwhile)
-- Events: call.answered (with the caller's wait), agent.state(on_call)
local call_id, token = ARGV[3], ARGV[4]
local c = call_get(call_id)
if not c or c.state ~= 'offered' or c.offerToken ~= token then return {0, 'STALE_OFFER'} end
redis.call('HSET', k('call', call_id), 'state', 'connected', 'answeredAt', NOW, 'bridgeId', ARGV[5])
redis.call('ZREM', k('timers'), 'offer|' .. call_id .. '|' .. token)
-- who last handled this number in this queue: a callback may prefer that agent
redis.call('HSET', k('queue', c.queueId, 'lastagent'), c.callerNumber, c.agentId)
emit('call.answered', { callId = call_id, queueId = c.queueId, agentId = c.agentId, waitMs = NOW - tonumber(c.enqueuedAt),
  kind = c.kind or 'call' })
agent_set_state(c.agentId, 'on_call', nil, {'callId', call_id}, {'offerToken'})
return {1, c.agentId}
