-- call_release: a connected call ended (either side hung up); the agent goes to wrap-up (after-call
-- work, for all queues) or is ready at once when the queue has none.
-- KEYS: 1 call:<callId>, 2 events
-- ARGV: 3 callId, 4 endedBy (caller | agent | api | system), 5 wrap-up ms (0: none), 6 wrap-up max ms, 7 extend step ms
-- Result: {1, agentId} | {0, 'NOT_CONNECTED'}
-- Events: call.ended (with talk time), agent.state(wrap_up with its deadline, or ready)
-- Calls today counts up; the agent's idle time starts when it is ready again.
local CALL = KEYS[1]
EVENTS = KEYS[2]
local call_id, ended_by = ARGV[3], ARGV[4]
local c = call_get(call_id, CALL)
if not c or c.state ~= 'connected' then return {0, 'NOT_CONNECTED'} end
local talk = NOW - tonumber(c.answeredAt)
call_close(call_id, c.node, 'ended', {'talkMs', talk, 'endedBy', ended_by}, CALL)
emit('call.ended', { callId = call_id, queueId = c.queueId, agentId = c.agentId, talkMs = talk, endedBy = ended_by })
agent_call_done(c.agentId, call_id, c.queueId, 5)
return {1, c.agentId}
