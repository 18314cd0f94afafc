-- offer_accept: the agent answered the offer; caller and agent are being bridged. For a ring-all
-- offer the first agent to answer wins: the others are ready again (their phones stop ringing).
-- KEYS: 1 call:<callId>, 2 timers, 3 events
-- ARGV: 3 callId, 4 token, 5 bridgeId, 6 agentId who answered (ring-all legs; '' otherwise)
-- Result: {1, agentId, JSON list of the channels still ringing for others} | {0, 'STALE_OFFER'}
--         (the caller left, the offer expired, or another agent answered first)
-- Events: call.answered (with the caller's wait), agent.state(on_call), agent.state(ready) for the others
local CALL = KEYS[1]
TIMERS, EVENTS = KEYS[2], KEYS[3]
local call_id, token = ARGV[3], ARGV[4]
local c = call_get(call_id, CALL)
if not c or c.state ~= 'offered' or c.offerToken ~= token then return {0, 'STALE_OFFER'} end
local legs = ring_legs(c)
local others = {}
if next(legs) then
  local winner = ARGV[6]
  if not legs[winner] then return {0, 'STALE_OFFER'} end
  c.agentId = winner
  redis.call('HSET', CALL, 'agentId', winner, 'agentChannelId', legs[winner])
  redis.call('HDEL', CALL, 'ringAll')
  for agent_id, channel in pairs(legs) do
    if agent_id ~= winner then
      others[#others + 1] = channel
      local a = agent_get(agent_id)
      if a.state == 'reserved' and a.offerToken == token then agent_set_state(agent_id, 'ready', nil, {}, {'callId', 'offerToken'}) end
    end
  end
end
redis.call('HSET', CALL, 'state', 'connected', 'answeredAt', NOW, 'bridgeId', ARGV[5])
redis.call('ZREM', TIMERS, 'offer|' .. call_id .. '|' .. token)
-- who last handled this number in this queue: a callback may prefer that agent
last_agent_set(c.queueId, c.callerNumber, c.agentId)
emit('call.answered', { callId = call_id, queueId = c.queueId, agentId = c.agentId, waitMs = NOW - tonumber(c.enqueuedAt),
  kind = c.kind or 'call' })
agent_set_state(c.agentId, 'on_call', nil, {'callId', call_id}, {'offerToken'})
-- (cjson encodes an empty table as an object)
return {1, c.agentId, #others > 0 and cjson.encode(others) or '[]'}
