-- clip_create: a prepared audio clip is stored (its WAV is already on disk under `file`).
-- Personal clips belong to an agent (ownerAgentId); public ones to nobody ('' owner).
-- KEYS: 1 clip:<id>, 2 clips, 3 events
-- ARGV: 3 clipId, 4 name, 5 scope ('personal' | 'public'), 6 ownerAgentId ('' for public),
--       7 createdBy (API user id), 8 file (name in the clips directory), 9 sampleRate, 10 durationMs, 11 bytes
-- Result: {1, clipId} | {0, 'EXISTS'}
-- Events: clip.created
local CLIP, CLIPS = KEYS[1], KEYS[2]
EVENTS = KEYS[3]
local id, name, scope, owner, by = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if redis.call('EXISTS', CLIP) == 1 then return {0, 'EXISTS'} end
redis.call('HSET', CLIP, 'id', id, 'name', name, 'scope', scope, 'ownerAgentId', owner, 'createdBy', by,
  'createdAt', NOW, 'updatedAt', NOW, 'archived', '0', 'file', ARGV[8], 'sampleRate', ARGV[9], 'durationMs', ARGV[10], 'bytes', ARGV[11])
redis.call('ZADD', CLIPS, NOW, id)
emit('clip.created', { clipId = id, name = name, scope = scope, ownerAgentId = owner ~= '' and owner or cjson.null, createdBy = by })
return {1, id}
