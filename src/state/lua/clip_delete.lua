-- clip_delete: a clip is forgotten; the caller deletes its file afterwards (a file without
-- metadata can no longer be offered; metadata without a file would be a clip that plays nothing).
-- KEYS: 1 clip:<id>, 2 clips, 3 events
-- ARGV: 3 clipId, 4 deletedBy
-- Result: {1, file} | {0, 'NOT_FOUND'}
-- Events: clip.deleted
local CLIP, CLIPS = KEYS[1], KEYS[2]
EVENTS = KEYS[3]
local id = ARGV[3]
local c = redis.call('HMGET', CLIP, 'file', 'scope', 'ownerAgentId', 'name')
if not c[1] then return {0, 'NOT_FOUND'} end
redis.call('DEL', CLIP)
redis.call('ZREM', CLIPS, id)
emit('clip.deleted', { clipId = id, name = c[4], scope = c[2], ownerAgentId = c[3] ~= '' and c[3] or cjson.null, deletedBy = ARGV[4] })
return {1, c[1]}
