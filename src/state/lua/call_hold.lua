-- call_hold: the agent puts the caller on hold (music) or takes them back.
-- KEYS: 1 call:<callId>, 2 events
-- ARGV: 3 callId, 4 '1' hold | '0' unhold, 5 userId
-- Result: {1} | {0, 'NOT_CONNECTED'} | {0, 'NO_CHANGE'}
-- Events: call.held | call.unheld
local CALL = KEYS[1]
EVENTS = KEYS[2]
local id, hold = ARGV[3], ARGV[4] == '1'
local c = call_get(id, CALL)
if not c or c.state ~= 'connected' then return {0, 'NOT_CONNECTED'} end
if (c.held == '1') == hold then return {0, 'NO_CHANGE'} end
redis.call('HSET', CALL, 'held', hold and '1' or '0')
if hold then redis.call('HSET', CALL, 'heldAt', NOW) else
  redis.call('HINCRBY', CALL, 'holdMs', NOW - tonumber(c.heldAt or NOW))
end
emit(hold and 'call.held' or 'call.unheld', { callId = id, queueId = c.queueId, agentId = c.agentId, by = ARGV[5] })
return {1}
