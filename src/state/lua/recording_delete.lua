-- recording_delete: a finished recording past its queue's retention is forgotten (its file was
-- deleted from Asterisk just before). Any controller may sweep; this makes the deletion happen once.
-- KEYS: 1 recording:<id>, 2 recordings, 3 events
-- ARGV: 3 recordingId, 4 retention ms (deleted only when startedAt + retention <= now)
-- Result: {1, name} | {0, 'NOT_FOUND'} | {0, 'ACTIVE'} | {0, 'NOT_EXPIRED'}
-- Events: recording.deleted
local RECORDING, RECORDINGS = KEYS[1], KEYS[2]
EVENTS = KEYS[3]
local id, retention = ARGV[3], tonumber(ARGV[4])
local rec = redis.call('HMGET', RECORDING, 'state', 'startedAt', 'callId', 'queueId', 'name')
if not rec[1] then return {0, 'NOT_FOUND'} end
if rec[1] == 'recording' or rec[1] == 'paused' then return {0, 'ACTIVE'} end
if tonumber(rec[2]) + retention > NOW then return {0, 'NOT_EXPIRED'} end
redis.call('DEL', RECORDING)
redis.call('ZREM', RECORDINGS, id)
emit('recording.deleted', { recordingId = id, callId = rec[3], queueId = rec[4], name = rec[5] })
return {1, rec[5]}
