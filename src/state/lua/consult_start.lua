-- consult_start: attended transfer begins: the caller waits on hold while the agent consults a
-- target. A target agent must be ready and is reserved for this call (never offered another).
-- KEYS: 1 call:<callId>, 2 events
-- ARGV: 3 callId, 4 consultId, 5 kind (agent | extension), 6 target, 7 userId
-- Result: {1} | {0, 'NOT_CONNECTED'} | {0, 'CONSULT_IN_PROGRESS'} | {0, 'TARGET_NOT_READY'} | {0, 'SAME_AGENT'}
-- Events: call.consult_started, agent.state (target agent reserved)
local CALL = KEYS[1]
EVENTS = KEYS[2]
local id, cid, kind, target = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local c = call_get(id, CALL)
if not c or c.state ~= 'connected' then return {0, 'NOT_CONNECTED'} end
if c.consultId then return {0, 'CONSULT_IN_PROGRESS'} end
if kind == 'agent' then
  if target == c.agentId then return {0, 'SAME_AGENT'} end
  if agent_get(target).state ~= 'ready' then return {0, 'TARGET_NOT_READY'} end
  agent_set_state(target, 'reserved', nil, {'callId', id, 'consultFor', id})
end
redis.call('HSET', CALL, 'consultId', cid, 'consultKind', kind, 'consultTarget', target)
emit('call.consult_started', { callId = id, queueId = c.queueId, agentId = c.agentId, consultId = cid, kind = kind, target = target, by = ARGV[7] })
return {1}
