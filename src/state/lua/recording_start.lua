-- recording_start: a connected call starts being recorded (queue policy 'all' on connect, or the API).
-- The file name is decided here, so two starts can never share one: calls/<callId>-<n>.
-- KEYS: 1 call:<callId>:recording, 2 recordings, 3 call:<callId>, 4 events
-- ARGV: 3 callId, 4 startedBy ('policy' or the API user's id),
--       5 '1' for the policy's start: only a call never recorded (a reconnect announces connected
--         calls again, and a recording someone stopped stays stopped)
-- Result: {1, recordingId} | {0, 'CALL_NOT_CONNECTED'} | {0, 'ALREADY_ACTIVE'} | {0, 'ALREADY_RECORDED'}
-- Events: recording.started
local CALL_RECORDING, RECORDINGS, CALL = KEYS[1], KEYS[2], KEYS[3]
EVENTS = KEYS[4]
local call_id, by = ARGV[3], ARGV[4]
local c = call_get(call_id, CALL)
if not c or c.state ~= 'connected' then return {0, 'CALL_NOT_CONNECTED'} end
if redis.call('HGET', CALL_RECORDING, 'active') then return {0, 'ALREADY_ACTIVE'} end
if ARGV[5] == '1' and redis.call('EXISTS', CALL_RECORDING) == 1 then return {0, 'ALREADY_RECORDED'} end
local n = redis.call('HINCRBY', CALL_RECORDING, 'n', 1)
local id = call_id .. '-' .. n
local name = 'calls/' .. id
redis.call('HSET', CALL_RECORDING, 'active', id)
redis.call('PERSIST', CALL_RECORDING)
-- pausedIntervals: JSON list of {fromMs, toMs}, offsets from startedAt; pausedFrom: offset of an open pause
redis.call('HSET', k('recording', id), 'id', id, 'callId', call_id, 'queueId', c.queueId, 'agentId', c.agentId,
  'node', c.node, 'name', name, 'state', 'recording', 'startedAt', NOW, 'startedBy', by, 'pausedIntervals', '[]')
redis.call('ZADD', RECORDINGS, NOW, id)
emit('recording.started', { recordingId = id, callId = call_id, queueId = c.queueId, agentId = c.agentId, name = name, startedBy = by })
return {1, id}
