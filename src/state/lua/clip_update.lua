-- clip_update: rename and/or archive (unarchive) a clip. Archived clips stay listed but are not played.
-- ARGV: 3 clipId, 4 new name ('' leaves it), 5 archived ('1' | '0' | '' leaves it), 6 updatedBy
-- Result: {1, 'updated'} | {1, 'unchanged'} | {0, 'NOT_FOUND'}
-- Events: clip.updated (only when something changed)
local id, name, archived, by = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local cur = redis.call('HMGET', k('clip', id), 'name', 'archived', 'scope', 'ownerAgentId')
if not cur[1] then return {0, 'NOT_FOUND'} end
local changes = {}
if name ~= '' and name ~= cur[1] then changes[#changes + 1] = 'name' end
if archived ~= '' and archived ~= cur[2] then changes[#changes + 1] = 'archived' end
if #changes == 0 then return {1, 'unchanged'} end
if name ~= '' then redis.call('HSET', k('clip', id), 'name', name) end
if archived ~= '' then redis.call('HSET', k('clip', id), 'archived', archived) end
redis.call('HSET', k('clip', id), 'updatedAt', NOW)
local now = redis.call('HMGET', k('clip', id), 'name', 'archived')
emit('clip.updated', { clipId = id, name = now[1], archived = now[2] == '1', scope = cur[3],
  ownerAgentId = cur[4] ~= '' and cur[4] or cjson.null, changed = changes, updatedBy = by })
return {1, 'updated'}
