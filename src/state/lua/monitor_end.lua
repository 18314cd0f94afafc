-- monitor_end: the session is over (supervisor hung up, stopped through the API, call ended, or the
-- supervisor's phone was not answered).
-- ARGV: 3 monitorId, 4 reason
-- Result: {1} | {0, 'ENDED'}
-- Events: monitor.ended
local id, reason = ARGV[3], ARGV[4]
local m = redis.call('HMGET', k('monitor', id), 'state', 'callId', 'supervisorId', 'queueId', 'agentId')
if not m[1] or m[1] == 'ended' then return {0, 'ENDED'} end
redis.call('HSET', k('monitor', id), 'state', 'ended', 'endedAt', NOW, 'endReason', reason)
redis.call('SREM', k('monitors'), id)
redis.call('EXPIRE', k('monitor', id), RECORD_TTL)
emit('monitor.ended', { monitorId = id, callId = m[2], supervisorId = m[3], reason = reason, queueId = m[4], agentId = m[5] })
return {1}
