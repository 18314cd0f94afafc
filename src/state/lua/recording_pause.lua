-- recording_pause: the recording goes on as silence (Asterisk mutes it) from now until resumed;
-- the pause is kept as an offset from the start, a position in the file.
-- KEYS: 1 recording:<id>, 2 events
-- ARGV: 3 recordingId
-- Result: {1, fromMs} | {0, 'NOT_ACTIVE'} | {0, 'ALREADY_PAUSED'}
-- Events: recording.paused
local RECORDING = KEYS[1]
EVENTS = KEYS[2]
local id = ARGV[3]
local r = redis.call('HMGET', RECORDING, 'state', 'startedAt', 'callId', 'queueId', 'agentId')
if r[1] == 'paused' then return {0, 'ALREADY_PAUSED'} end
if r[1] ~= 'recording' then return {0, 'NOT_ACTIVE'} end
local from = NOW - tonumber(r[2])
redis.call('HSET', RECORDING, 'state', 'paused', 'pausedFrom', from)
emit('recording.paused', { recordingId = id, callId = r[3], fromMs = from, queueId = r[4], agentId = r[5] })
return {1, from}
