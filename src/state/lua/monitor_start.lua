-- monitor_start: a supervisor asks to monitor a live call; their phone is about to ring.
-- KEYS: 1 monitor:<monitorId>, 2 monitors, 3 call:<callId>, 4 events
-- ARGV: 3 monitorId, 4 callId, 5 agentId, 6 queueId, 7 supervisorId, 8 mode (listen | whisper | barge), 9 endpoint
-- Result: {1} | {0, 'CALL_NOT_CONNECTED'}
-- Events: monitor.started
local MONITOR, MONITORS, CALL = KEYS[1], KEYS[2], KEYS[3]
EVENTS = KEYS[4]
local id, call_id = ARGV[3], ARGV[4]
local c = call_get(call_id, CALL)
if not c or c.state ~= 'connected' then return {0, 'CALL_NOT_CONNECTED'} end
redis.call('HSET', MONITOR, 'id', id, 'callId', call_id, 'agentId', ARGV[5], 'queueId', ARGV[6],
  'supervisorId', ARGV[7], 'mode', ARGV[8], 'endpoint', ARGV[9], 'state', 'ringing', 'startedAt', NOW)
redis.call('SADD', MONITORS, id)
emit('monitor.started', { monitorId = id, callId = call_id, agentId = ARGV[5], queueId = ARGV[6], supervisorId = ARGV[7], mode = ARGV[8] })
return {1}
