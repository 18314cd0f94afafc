-- monitor_end: the session is over (supervisor hung up, stopped through the API, call ended, or the
-- supervisor's phone was not answered).
-- KEYS: 1 monitor:<monitorId>, 2 monitors, 3 events
-- ARGV: 3 monitorId, 4 reason
-- Result: {1} | {0, 'ENDED'}
-- Events: monitor.ended
local MONITOR, MONITORS = KEYS[1], KEYS[2]
EVENTS = KEYS[3]
local id, reason = ARGV[3], ARGV[4]
local m = redis.call('HMGET', MONITOR, 'state', 'callId', 'supervisorId', 'queueId', 'agentId')
if not m[1] or m[1] == 'ended' then return {0, 'ENDED'} end
redis.call('HSET', MONITOR, 'state', 'ended', 'endedAt', NOW, 'endReason', reason)
redis.call('SREM', MONITORS, id)
redis.call('EXPIRE', MONITOR, record_ttl())
emit('monitor.ended', { monitorId = id, callId = m[2], supervisorId = m[3], reason = reason, queueId = m[4], agentId = m[5] })
return {1}
