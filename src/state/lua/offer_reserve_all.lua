-- offer_reserve_all: ring-all: reserve every given ready agent for one waiting call at once; their
-- phones all ring and the first to answer takes the call (offer_accept releases the others).
-- ARGV: 3 callId, 4 token (shared by the legs), 5 expiresAt (ms), 6 node ringing them,
--       7 JSON list of {agentId, channelId}
-- Result: {1, JSON list of the agent ids reserved} | {0, 'AGENT_NOT_READY'} (none was) | {0, 'CALL_NOT_WAITING'}
-- Events: call.offered (one per agent), agent.state(reserved)
local call_id, token, expires = ARGV[3], ARGV[4], tonumber(ARGV[5])
local c = call_get(call_id)
if not c or c.state ~= 'waiting' then return {0, 'CALL_NOT_WAITING'} end
local legs, ids = {}, {}
for _, leg in ipairs(cjson.decode(ARGV[7])) do
  local a = agent_get(leg.agentId)
  if a.state == 'ready' and redis.call('ZSCORE', k('queue', c.queueId, 'ready'), leg.agentId) then
    legs[leg.agentId] = leg.channelId
    ids[#ids + 1] = leg.agentId
  end
end
if #ids == 0 then return {0, 'AGENT_NOT_READY'} end
redis.call('ZREM', k('queue', c.queueId, 'waiting'), call_id)
redis.call('HSET', k('call', call_id), 'state', 'offered', 'offerToken', token, 'ringAll', cjson.encode(legs),
  'offeredAt', NOW, 'servedBy', ARGV[6] or '')
redis.call('HDEL', k('call', call_id), 'agentId', 'agentChannelId')
redis.call('ZADD', k('timers'), expires, 'offer|' .. call_id .. '|' .. token)
for _, agent_id in ipairs(ids) do
  emit('call.offered', { callId = call_id, queueId = c.queueId, agentId = agent_id, callerNumber = c.callerNumber,
    kind = c.kind or 'call', ringAll = true })
  agent_set_state(agent_id, 'reserved', nil, {'callId', call_id, 'offerToken', token})
end
return {1, cjson.encode(ids)}
