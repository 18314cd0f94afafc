-- clip_update: rename and/or archive (unarchive) a clip. Archived clips stay listed but are not played.
-- KEYS: 1 clip:<id>, 2 events
-- ARGV: 3 clipId, 4 new name ('' leaves it), 5 archived ('1' | '0' | '' leaves it), 6 updatedBy
-- Result: {1, 'updated'} | {1, 'unchanged'} | {0, 'NOT_FOUND'}
-- Events: clip.updated (only when something changed)
local CLIP = KEYS[1]
EVENTS = KEYS[2]
local id, name, archived, by = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local cur = redis.call('HMGET', CLIP, 'name', 'archived', 'scope', 'ownerAgentId')
if not cur[1] then return {0, 'NOT_FOUND'} end
local changes = {}
if name ~= '' and name ~= cur[1] then changes[#changes + 1] = 'name' end
if archived ~= '' and archived ~= cur[2] then changes[#changes + 1] = 'archived' end
if #changes == 0 then return {1, 'unchanged'} end
if name ~= '' then redis.call('HSET', CLIP, 'name', name) end
if archived ~= '' then redis.call('HSET', CLIP, 'archived', archived) end
redis.call('HSET', CLIP, 'updatedAt', NOW)
local now = redis.call('HMGET', CLIP, 'name', 'archived')
emit('clip.updated', { clipId = id, name = now[1], archived = now[2] == '1', scope = cur[3],
  ownerAgentId = cur[4] ~= '' and cur[4] or cjson.null, changed = changes, updatedBy = by })
return {1, 'updated'}
