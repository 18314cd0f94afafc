-- call_abandon: the caller hung up before reaching an agent (waiting, ringing an agent, or parked).
-- ARGV: 3 callId
-- Result: {1, agentId or ''} (agentId: the agent whose ringing offer is now void) | {0, 'NOT_WAITING'}
-- Events: call.abandoned (with the wait), agent.state(ready) for each agent whose phone was ringing
local call_id = ARGV[3]
local c = call_get(call_id)
if not c or (c.state ~= 'waiting' and c.state ~= 'offered' and c.state ~= 'parked') then return {0, 'NOT_WAITING'} end
if c.state == 'parked' then
  -- a parked caller who hangs up frees the slot and its timer
  redis.call('HDEL', k('parked'), c.parkSlot)
  redis.call('ZREM', k('timers'), 'park|' .. call_id .. '|' .. c.parkSlot)
end
redis.call('ZREM', k('queue', c.queueId, 'waiting'), call_id)
local wait = NOW - tonumber(c.enqueuedAt)
call_close(call_id, c.node, 'abandoned', {'waitMs', wait})
local agent = ''
local rung = {}   -- ring-all: every agent still ringing
if c.state == 'offered' then
  redis.call('ZREM', k('timers'), 'offer|' .. call_id .. '|' .. c.offerToken)
  for agent_id in pairs(ring_legs(c)) do
    local a = agent_get(agent_id)
    if a.state == 'reserved' and a.offerToken == c.offerToken then rung[#rung + 1] = agent_id end
  end
  table.sort(rung)
  local a = c.agentId and agent_get(c.agentId)
  if a and a.state == 'reserved' and a.offerToken == c.offerToken then
    agent = c.agentId
  end
end
emit('call.abandoned', { callId = call_id, queueId = c.queueId, callerNumber = c.callerNumber, waitMs = wait,
  agentId = c.agentId or cjson.null })
if agent ~= '' then agent_set_state(agent, 'ready', nil, {}, {'callId', 'offerToken'}) end
for _, agent_id in ipairs(rung) do agent_set_state(agent_id, 'ready', nil, {}, {'callId', 'offerToken'}) end
return {1, agent}
