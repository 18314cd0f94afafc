-- wallboard_archive: archive a wallboard (kept, but its displays show nothing) or bring it back.
-- The flag lives beside the JSON (wallboards:archived, id -> when), so the wallboard's JSON is never
-- re-encoded here (cjson would turn its empty lists into objects).
-- KEYS: 1 wallboards:archived, 2 wallboards, 3 events
-- ARGV: 3 wallboardId, 4 '1' archive | '0' unarchive, 5 by (user id)
-- Result: {1} | {0, 'NOT_FOUND'} | {0, 'UNCHANGED'}
-- Events: wallboard.changed {wallboardId, change = archived | unarchived, by}
local ARCHIVED, WALLBOARDS = KEYS[1], KEYS[2]
EVENTS = KEYS[3]
local id, on, by = ARGV[3], ARGV[4] == '1', ARGV[5]
if redis.call('HEXISTS', WALLBOARDS, id) == 0 then return {0, 'NOT_FOUND'} end
local was = redis.call('HEXISTS', ARCHIVED, id) == 1
if was == on then return {0, 'UNCHANGED'} end
if on then redis.call('HSET', ARCHIVED, id, NOW) else redis.call('HDEL', ARCHIVED, id) end
emit('wallboard.changed', { wallboardId = id, change = on and 'archived' or 'unarchived', by = by })
return {1}
