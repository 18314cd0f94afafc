-- recording_delete: a finished recording past its queue's retention is forgotten (its file was
-- deleted from Asterisk just before). Any controller may sweep; this makes the deletion happen once.
-- ARGV: 3 recordingId, 4 retention ms (deleted only when startedAt + retention <= now)
-- Result: {1, name} | {0, 'NOT_FOUND'} | {0, 'ACTIVE'} | {0, 'NOT_EXPIRED'}
-- Events: recording.deleted
local id, retention = ARGV[3], tonumber(ARGV[4])
local rec = redis.call('HMGET', k('recording', id), 'state', 'startedAt', 'callId', 'queueId', 'name')
if not rec[1] then return {0, 'NOT_FOUND'} end
if rec[1] == 'recording' or rec[1] == 'paused' then return {0, 'ACTIVE'} end
if tonumber(rec[2]) + retention > NOW then return {0, 'NOT_EXPIRED'} end
redis.call('DEL', k('recording', id))
redis.call('ZREM', k('recordings'), id)
emit('recording.deleted', { recordingId = id, callId = rec[3], queueId = rec[4], name = rec[5] })
return {1, rec[5]}
