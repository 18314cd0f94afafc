-- monitor_connected: the supervisor answered and is connected to the call in the requested mode.
-- KEYS: 1 monitor:<monitorId>, 2 events
-- ARGV: 3 monitorId
-- Result: {1} | {0, 'NOT_RINGING'}
-- Events: monitor.connected
local MONITOR = KEYS[1]
EVENTS = KEYS[2]
local id = ARGV[3]
local m = redis.call('HMGET', MONITOR, 'state', 'callId', 'mode', 'supervisorId', 'queueId', 'agentId')
if m[1] ~= 'ringing' then return {0, 'NOT_RINGING'} end
redis.call('HSET', MONITOR, 'state', 'active', 'connectedAt', NOW)
emit('monitor.connected', { monitorId = id, callId = m[2], mode = m[3], supervisorId = m[4], queueId = m[5], agentId = m[6] })
return {1}
