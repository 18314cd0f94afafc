-- wallboard_display_revoke: a display token stops working at once, on every controller; its open
-- screens are closed by the controllers serving them (they follow wallboard.display_revoked).
-- KEYS: 1 wallboard:<id>:displays, 2 wallboard:display, 3 events
-- ARGV: 3 wallboardId, 4 tokenId, 5 by (user id)
-- Result: {1} | {0, 'NOT_FOUND'}
-- Events: wallboard.display_revoked {wallboardId, tokenId, by}
local DISPLAYS, DISPLAY = KEYS[1], KEYS[2]
EVENTS = KEYS[3]
local id, tid, by = ARGV[3], ARGV[4], ARGV[5]
local sha = redis.call('HGET', DISPLAYS, tid)
if not sha then return {0, 'NOT_FOUND'} end
redis.call('HDEL', DISPLAY, sha)
redis.call('HDEL', DISPLAYS, tid)
emit('wallboard.display_revoked', { wallboardId = id, tokenId = tid, by = by })
return {1}
