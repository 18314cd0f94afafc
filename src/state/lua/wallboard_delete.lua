-- wallboard_delete: a wallboard goes, and every display token of it stops working at once.
-- KEYS: 1 wallboards:archived, 2 wallboards, 3 wallboard:<id>:displays, 4 wallboard:display, 5 events
-- ARGV: 3 wallboardId, 4 by (user id)
-- Result: {1, revoked display tokens} | {0, 'NOT_FOUND'}
-- Events: wallboard.display_revoked {wallboardId, tokenId} (one per token), wallboard.changed {change = deleted}
local ARCHIVED, WALLBOARDS, DISPLAYS, DISPLAY = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
EVENTS = KEYS[5]
local id, by = ARGV[3], ARGV[4]
if redis.call('HEXISTS', WALLBOARDS, id) == 0 then return {0, 'NOT_FOUND'} end
local h = redis.call('HGETALL', DISPLAYS)
local n = 0
for i = 1, #h, 2 do
  redis.call('HDEL', DISPLAY, h[i + 1])
  emit('wallboard.display_revoked', { wallboardId = id, tokenId = h[i] })
  n = n + 1
end
redis.call('DEL', DISPLAYS)
redis.call('HDEL', WALLBOARDS, id)
redis.call('HDEL', ARCHIVED, id)
emit('wallboard.changed', { wallboardId = id, change = 'deleted', by = by })
return {1, n}
