-- recording_resume: audio is recorded again; the pause becomes a closed interval {fromMs, toMs}.
-- KEYS: 1 recording:<id>, 2 events
-- ARGV: 3 recordingId
-- Result: {1, toMs} | {0, 'NOT_ACTIVE'} | {0, 'NOT_PAUSED'}
-- Events: recording.resumed
local RECORDING = KEYS[1]
EVENTS = KEYS[2]
local id = ARGV[3]
local r = redis.call('HMGET', RECORDING, 'state', 'startedAt', 'callId', 'pausedFrom', 'pausedIntervals', 'queueId', 'agentId')
if r[1] == 'recording' then return {0, 'NOT_PAUSED'} end
if r[1] ~= 'paused' then return {0, 'NOT_ACTIVE'} end
local from, to = tonumber(r[4]), NOW - tonumber(r[2])
local intervals = cjson.decode(r[5])
intervals[#intervals + 1] = { fromMs = from, toMs = to }
redis.call('HSET', RECORDING, 'state', 'recording', 'pausedIntervals', cjson.encode(intervals))
redis.call('HDEL', RECORDING, 'pausedFrom')
emit('recording.resumed', { recordingId = id, callId = r[3], fromMs = from, toMs = to, queueId = r[6], agentId = r[7] })
return {1, to}
