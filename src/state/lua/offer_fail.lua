-- offer_fail: the offer did not connect; the caller goes back to waiting at its original place.
-- For a ring-all offer one leg may end on its own (that agent declined or is unreachable): the
-- others keep ringing, and the caller goes back only when the last leg ends.
-- ARGV: 3 callId, 4 token, 5 outcome (no-answer | busy | unreachable | expired | lost),
--       6 pause reason for the agent(s) (no-answer, unreachable), or '' to make them ready again,
--       7 '1' when this is the Redis expiry timer firing (only then the deadline must have passed),
--       8 the ring-all leg's agent that ended ('' : the whole offer)
-- Result: {1, agentId, 'waiting' | 'ringing'} | {0, 'STALE_OFFER'}
-- Events: call.offer_failed, agent.state
local call_id, token, outcome, pause, from_timer, leg = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7] == '1', ARGV[8] or ''
local timer = 'offer|' .. call_id .. '|' .. token
if from_timer then
  if not timer_due(timer) then return {0, 'STALE_OFFER'} end
end
local c = call_get(call_id)
if not c or c.state ~= 'offered' or c.offerToken ~= token then
  redis.call('ZREM', k('timers'), timer)
  return {0, 'STALE_OFFER'}
end

local function free(agent_id)
  local a = agent_get(agent_id)
  if a.state == 'reserved' and a.offerToken == token then
    if pause ~= '' then
      agent_set_state(agent_id, 'paused', pause, {}, {'callId', 'offerToken'})
    else
      agent_set_state(agent_id, 'ready', nil, {}, {'callId', 'offerToken'})
    end
  end
end

local legs = ring_legs(c)
if next(legs) and leg ~= '' then
  if not legs[leg] then return {0, 'STALE_OFFER'} end
  legs[leg] = nil
  free(leg)
  if next(legs) then
    redis.call('HSET', k('call', call_id), 'ringAll', cjson.encode(legs))
    return {1, leg, 'ringing'}
  end
end
redis.call('ZREM', k('timers'), timer)
redis.call('HSET', k('call', call_id), 'state', 'waiting')
redis.call('HDEL', k('call', call_id), 'agentId', 'offerToken', 'agentChannelId', 'offeredAt', 'ringAll')
redis.call('ZADD', k('queue', c.queueId, 'waiting'), tonumber(c.vtime), call_id)
local agents = {}
if next(legs) then for agent_id in pairs(legs) do agents[#agents + 1] = agent_id end
elseif leg ~= '' then agents = {leg}
else agents = {c.agentId} end
table.sort(agents)
emit('call.offer_failed', { callId = call_id, queueId = c.queueId, agentId = agents[1], agents = agents, outcome = outcome })
for _, agent_id in ipairs(agents) do free(agent_id) end
return {1, agents[1], 'waiting'}
