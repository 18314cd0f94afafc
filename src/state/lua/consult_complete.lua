-- consult_complete: attended transfer done: the caller now talks with the target; the agent who
-- consulted goes to wrap-up. A target agent becomes the call's agent; with an extension the call
-- leaves the ACD (its record ends here, the two parties stay bridged until one hangs up).
-- KEYS: 1 call:<callId>, 2 events
-- ARGV: 3 callId, 4 consultId, 5 wrap ms, 6 wrap max ms, 7 step ms, 8 userId
-- Result: {1, kind} | {0, 'NO_CONSULT'} | {0, 'NOT_ANSWERED'}
-- Events: call.transferred (kind attended), agent.state
local CALL = KEYS[1]
EVENTS = KEYS[2]
local id, cid = ARGV[3], ARGV[4]
local c = call_get(id, CALL)
if not c or c.consultId ~= cid or c.state ~= 'connected' then return {0, 'NO_CONSULT'} end
if c.consultAnswered ~= '1' then return {0, 'NOT_ANSWERED'} end
local from, kind, target = c.agentId, c.consultKind, c.consultTarget
redis.call('HDEL', CALL, 'consultId', 'consultKind', 'consultTarget', 'consultAnswered', 'held', 'heldAt')
redis.call('HINCRBY', CALL, 'transfers', 1)
emit('call.transferred', { callId = id, queueId = c.queueId, fromAgentId = from, kind = 'attended', target = target, by = ARGV[8] })
if kind == 'agent' then
  redis.call('HSET', CALL, 'agentId', target)
  redis.call('HDEL', k('agent', target), 'consultFor')
else
  call_close(id, c.node, 'ended', {'endedBy', 'transfer', 'transferredTo', target}, CALL)
end
agent_call_done(from, id, c.queueId, 5)
return {1, kind}
