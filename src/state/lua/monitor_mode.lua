-- monitor_mode: change listen / whisper / barge during a session (no new call to the supervisor).
-- KEYS: 1 monitor:<monitorId>, 2 events
-- ARGV: 3 monitorId, 4 mode
-- Result: {1, previous mode} | {0, 'NOT_FOUND'} | {0, 'ENDED'}
-- Events: monitor.mode_changed
local MONITOR = KEYS[1]
EVENTS = KEYS[2]
local id, mode = ARGV[3], ARGV[4]
local m = redis.call('HMGET', MONITOR, 'state', 'callId', 'mode', 'queueId', 'agentId', 'supervisorId')
if not m[1] then return {0, 'NOT_FOUND'} end
if m[1] == 'ended' then return {0, 'ENDED'} end
redis.call('HSET', MONITOR, 'mode', mode)
if m[3] ~= mode then emit('monitor.mode_changed', { monitorId = id, callId = m[2], mode = mode, previousMode = m[3], queueId = m[4], agentId = m[5], supervisorId = m[6] }) end
return {1, m[3]}
