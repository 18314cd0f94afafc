-- wallboard_delete: a wallboard goes, and every display token of it stops working at once.
-- ARGV: 3 wallboardId, 4 by (user id)
-- Result: {1, revoked display tokens} | {0, 'NOT_FOUND'}
-- Events: wallboard.display_revoked {wallboardId, tokenId} (one per token), wallboard.changed {change = deleted}
local id, by = ARGV[3], ARGV[4]
if redis.call('HEXISTS', k('wallboards'), id) == 0 then return {0, 'NOT_FOUND'} end
local h = redis.call('HGETALL', k('wallboard', id, 'displays'))
local n = 0
for i = 1, #h, 2 do
  redis.call('HDEL', k('wallboard', 'display'), h[i + 1])
  emit('wallboard.display_revoked', { wallboardId = id, tokenId = h[i] })
  n = n + 1
end
redis.call('DEL', k('wallboard', id, 'displays'))
redis.call('HDEL', k('wallboards'), id)
redis.call('HDEL', k('wallboards', 'archived'), id)
emit('wallboard.changed', { wallboardId = id, change = 'deleted', by = by })
return {1, n}
