-- wallboard_display_revoke: a display token stops working at once, on every controller; its open
-- screens are closed by the controllers serving them (they follow wallboard.display_revoked).
-- ARGV: 3 wallboardId, 4 tokenId, 5 by (user id)
-- Result: {1} | {0, 'NOT_FOUND'}
-- Events: wallboard.display_revoked {wallboardId, tokenId, by}
local id, tid, by = ARGV[3], ARGV[4], ARGV[5]
local sha = redis.call('HGET', k('wallboard', id, 'displays'), tid)
if not sha then return {0, 'NOT_FOUND'} end
redis.call('HDEL', k('wallboard', 'display'), sha)
redis.call('HDEL', k('wallboard', id, 'displays'), tid)
emit('wallboard.display_revoked', { wallboardId = id, tokenId = tid, by = by })
return {1}
