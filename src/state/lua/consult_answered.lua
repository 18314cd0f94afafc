-- consult_answered: the consulted target answered; a target agent is now on this call.
-- KEYS: 1 call:<callId>, 2 events
-- ARGV: 3 callId, 4 consultId
-- Result: {1} | {0, 'NO_CONSULT'}
-- Events: call.consult_answered, agent.state (target agent on_call)
local CALL = KEYS[1]
EVENTS = KEYS[2]
local id, cid = ARGV[3], ARGV[4]
local c = call_get(id, CALL)
if not c or c.consultId ~= cid then return {0, 'NO_CONSULT'} end
redis.call('HSET', CALL, 'consultAnswered', '1')
emit('call.consult_answered', { callId = id, consultId = cid, target = c.consultTarget, queueId = c.queueId, agentId = c.agentId })
if c.consultKind == 'agent' then agent_set_state(c.consultTarget, 'on_call', nil, {'callId', id}) end
return {1}
