-- offer_fail: the offer did not connect; the caller goes back to waiting at its original place.
-- ARGV: 3 callId, 4 token, 5 outcome (no-answer | busy | unreachable | expired | lost),
--       6 pause reason for the agent (no-answer, unreachable), or '' to make it ready again,
--       7 '1' when this is the Redis expiry timer firing (only then the deadline must have passed)
-- Result: {1, agentId} | {0, 'STALE_OFFER'}
-- Events: call.offer_failed, agent.state
local call_id, token, outcome, pause, from_timer = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7] == '1'
local timer = 'offer|' .. call_id .. '|' .. token
if from_timer then
  if not timer_due(timer) then return {0, 'STALE_OFFER'} end
end
redis.call('ZREM', k('timers'), timer)
local c = call_get(call_id)
if not c or c.state ~= 'offered' or c.offerToken ~= token then return {0, 'STALE_OFFER'} end
redis.call('HSET', k('call', call_id), 'state', 'waiting')
redis.call('HDEL', k('call', call_id), 'agentId', 'offerToken', 'agentChannelId', 'offeredAt')
redis.call('ZADD', k('queue', c.queueId, 'waiting'), tonumber(c.vtime), call_id)
emit('call.offer_failed', { callId = call_id, queueId = c.queueId, agentId = c.agentId, outcome = outcome })
local a = agent_get(c.agentId)
if a.state == 'reserved' and a.offerToken == token then
  if pause ~= '' then
    agent_set_state(c.agentId, 'paused', pause, {}, {'callId', 'offerToken'})
  else
    agent_set_state(c.agentId, 'ready', nil, {}, {'callId', 'offerToken'})
  end
end
return {1, c.agentId}
