-- offer_reserve: reserve a ready agent for a waiting call (the agent's phone is about to ring).
-- ARGV: 3 callId, 4 agentId, 5 token, 6 expiresAt (ms), 7 agentChannelId, 8 node ringing the agent
-- Result: {1} | {0, 'AGENT_NOT_READY'} | {0, 'CALL_NOT_WAITING'}
-- Events: call.offered, agent.state(reserved)
-- The check and the reservation are one step: of any number of racing offers for one agent, or
-- for one call, exactly one wins. The token makes later accept/fail calls prove they are current.
-- The expiry is a timer in Redis: if the offering controller dies, any controller frees the agent.
local call_id, agent_id, token, expires = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local c = call_get(call_id)
if not c or c.state ~= 'waiting' then return {0, 'CALL_NOT_WAITING'} end
local a = agent_get(agent_id)
if a.state ~= 'ready' or not redis.call('ZSCORE', k('queue', c.queueId, 'ready'), agent_id) then
  return {0, 'AGENT_NOT_READY'}
end
redis.call('ZREM', k('queue', c.queueId, 'waiting'), call_id)
redis.call('HSET', k('call', call_id), 'state', 'offered', 'agentId', agent_id, 'offerToken', token,
  'agentChannelId', ARGV[7], 'offeredAt', NOW, 'servedBy', ARGV[8] or '')
redis.call('ZADD', k('timers'), expires, 'offer|' .. call_id .. '|' .. token)
-- round-robin goes on after the agent offered last in this queue
redis.call('HSET', k('queue', c.queueId, 'meta'), 'lastAgent', agent_id)
emit('call.offered', { callId = call_id, queueId = c.queueId, agentId = agent_id, callerNumber = c.callerNumber,
  kind = c.kind or 'call' })
agent_set_state(agent_id, 'reserved', nil, {'callId', call_id, 'offerToken', token})
return {1}
