-- consult_cancel: the consultation ends without transfer (cancelled, or the target did not answer
-- or hung up): the caller goes back to the agent; a target agent is ready again.
-- KEYS: 1 call:<callId>, 2 events
-- ARGV: 3 callId, 4 consultId, 5 reason
-- Result: {1} | {0, 'NO_CONSULT'}
-- Events: call.consult_ended, agent.state (target agent ready)
local CALL = KEYS[1]
EVENTS = KEYS[2]
local id, cid = ARGV[3], ARGV[4]
local c = call_get(id, CALL)
if not c or c.consultId ~= cid then return {0, 'NO_CONSULT'} end
redis.call('HDEL', CALL, 'consultId', 'consultKind', 'consultTarget', 'consultAnswered')
emit('call.consult_ended', { callId = id, consultId = cid, target = c.consultTarget, reason = ARGV[5], queueId = c.queueId, agentId = c.agentId })
if c.consultKind == 'agent' then
  local t = agent_get(c.consultTarget)
  if t.callId == id and (t.state == 'reserved' or t.state == 'on_call') then
    agent_set_state(c.consultTarget, 'ready', nil, {}, {'callId', 'consultFor'})
  end
end
return {1}
