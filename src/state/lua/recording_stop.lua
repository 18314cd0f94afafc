-- recording_stop: the recording is over (stopped through the API, the call ended, or Asterisk
-- finished or failed it). A pause still open ends with the recording. The file is as long as
-- durationMs: paused time is silence in it, not cut out.
-- KEYS: 1 recording:<id>, 2 events
-- ARGV: 3 recordingId, 4 outcome (stopped | failed)
-- Result: {1, durationMs} | {0, 'NOT_ACTIVE'}
-- Events: recording.stopped
local RECORDING = KEYS[1]
EVENTS = KEYS[2]
local id, outcome = ARGV[3], ARGV[4]
local rec = redis.call('HMGET', RECORDING, 'state', 'startedAt', 'callId', 'queueId', 'agentId', 'pausedFrom', 'pausedIntervals')
if rec[1] ~= 'recording' and rec[1] ~= 'paused' then return {0, 'NOT_ACTIVE'} end
local duration = NOW - tonumber(rec[2])
local intervals = cjson.decode(rec[7])
if rec[1] == 'paused' then
  intervals[#intervals + 1] = { fromMs = tonumber(rec[6]), toMs = duration }
  redis.call('HSET', RECORDING, 'pausedIntervals', cjson.encode(intervals))
  redis.call('HDEL', RECORDING, 'pausedFrom')
end
local paused = 0
for _, iv in ipairs(intervals) do paused = paused + iv.toMs - iv.fromMs end
redis.call('HSET', RECORDING, 'state', outcome, 'endedAt', NOW, 'durationMs', duration)
local call_rec = k('call', rec[3], 'recording')
if redis.call('HGET', call_rec, 'active') == id then redis.call('HDEL', call_rec, 'active') end
redis.call('EXPIRE', call_rec, record_ttl())
emit('recording.stopped', { recordingId = id, callId = rec[3], queueId = rec[4], agentId = rec[5], state = outcome,
  durationMs = duration, pausedMs = paused })
return {1, duration}
