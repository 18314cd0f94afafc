-- callback_attempt_end: the agent's callback call is over; the attempt is recorded with its outcome
-- and the agent is free again. The request now awaits the agent's word (complete or reschedule),
-- unless it was marked complete during the call.
-- ARGV: 3 callbackId, 4 outcome (answered | no-answer | busy | failed | agent-hung-up), 5 customer talk ms,
--       6 wrap-up ms, 7 wrap-up max ms, 8 extend step ms
-- Result: {1, state} | {0, 'NOT_CONNECTED'}
-- Events: callback.attempted, agent.state(wrap_up or ready)
local id, outcome, talk = ARGV[3], ARGV[4], tonumber(ARGV[5])
local c = call_get(id)
if not c or c.state ~= 'connected' then return {0, 'NOT_CONNECTED'} end
local n = tonumber(c.attempts) + 1
redis.call('RPUSH', k('call', id, 'attempts'), cjson.encode({ n = n, at = NOW, agentId = c.agentId, outcome = outcome, talkMs = talk }))
local state = c.completeOnEnd == '1' and 'completed' or 'attempted'
redis.call('HSET', k('call', id), 'state', state, 'attempts', n, 'lastOutcome', outcome, 'lastAgentId', c.agentId)
last_agent_set(c.queueId, c.callerNumber, c.agentId)
if state == 'completed' then callback_finish(id) end
emit('callback.attempted', { callbackId = id, queueId = c.queueId, agentId = c.agentId, outcome = outcome, attempt = n, state = state })
agent_call_done(c.agentId, id, c.queueId, 6)
return {1, state}
