-- call_lost: a call held by a dead controller ends with it: its caller's channel (and the media)
-- died with that controller's Asterisk. Run by the live controller that claimed the takeover.
-- KEYS: 1 call:<callId>, 2 events
-- ARGV: 3 callId, 4 dead node, 5 wrap-up ms (0: none), 6 wrap-up max ms, 7 extend step ms (the agent's
--   after-call work, for a connected call)
-- Result: {1, 'lost'} (the caller was waiting, ringing an agent, or parked) | {1, 'ended'} (connected) |
--   {0, 'NOT_LIVE'} (over already, or not that node's call: nothing is counted)
-- Events: lost: call.abandoned (lost = true, reason controller_lost) and agent.state(ready) for each
--   agent whose phone was ringing; ended: call.ended (endedBy system, lost = true), agent.state (wrap-up
--   as its queue says, or ready)
-- A caller who never reached an agent is counted like an abandon (history: outcome abandoned_*,
-- ended_by system). An agent whose talking call dropped did talk: the call counts as handled and the
-- agent gets the queue's after-call work to note what happened, as after any call. A ringing agent
-- is not to blame: ready again, not paused.
local CALL = KEYS[1]
EVENTS = KEYS[2]
local call_id, dead = ARGV[3], ARGV[4]
local c = call_get(call_id, CALL)
if not c or c.node ~= dead then
  redis.call('SREM', k('node', dead, 'calls'), call_id)
  return {0, 'NOT_LIVE'}
end
if c.state == 'connected' then
  local talk = NOW - tonumber(c.answeredAt)
  call_close(call_id, dead, 'ended', {'talkMs', talk, 'endedBy', 'system', 'lost', '1'}, CALL)
  emit('call.ended', { callId = call_id, queueId = c.queueId, agentId = c.agentId, talkMs = talk, endedBy = 'system', lost = true })
  agent_call_done(c.agentId, call_id, c.queueId, 5)
  return {1, 'ended'}
end
if c.state ~= 'waiting' and c.state ~= 'offered' and c.state ~= 'parked' then
  redis.call('SREM', k('node', dead, 'calls'), call_id)
  return {0, 'NOT_LIVE'}
end
if c.state == 'parked' then
  redis.call('HDEL', k('parked'), c.parkSlot)
  redis.call('ZREM', TIMERS, 'park|' .. call_id .. '|' .. c.parkSlot)
end
redis.call('ZREM', k('queue', c.queueId, 'waiting'), call_id)
local wait = NOW - tonumber(c.enqueuedAt)
call_close(call_id, dead, 'abandoned', {'waitMs', wait, 'lost', '1'}, CALL)
local rung = {}
if c.state == 'offered' then
  redis.call('ZREM', TIMERS, 'offer|' .. call_id .. '|' .. c.offerToken)
  local legs = ring_legs(c)
  if c.agentId and c.agentId ~= '' then legs[c.agentId] = true end
  for agent_id in pairs(legs) do
    local a = agent_get(agent_id)
    if a.state == 'reserved' and a.offerToken == c.offerToken then rung[#rung + 1] = agent_id end
  end
  table.sort(rung)
end
emit('call.abandoned', { callId = call_id, queueId = c.queueId, callerNumber = c.callerNumber, waitMs = wait,
  agentId = c.agentId or cjson.null, lost = true, reason = 'controller_lost', node = dead })
for _, agent_id in ipairs(rung) do agent_set_state(agent_id, 'ready', nil, {}, {'callId', 'offerToken'}) end
return {1, 'lost'}
