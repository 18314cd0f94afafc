-- token_revoke: a token stops working at once, on every controller (they look tokens up in Redis).
-- ARGV: 3 userId, 4 tokenId ('*' for all of the user's tokens)
-- Result: {1, count} | {0, 'NOT_FOUND'}
-- A token seeded from the config file is remembered as revoked (tokens:revoked), so a restart does not seed it again.
-- Events: token.revoked (one per token)
local user, id = ARGV[3], ARGV[4]
local ids = {}
if id == '*' then ids = redis.call('HKEYS', k('user', user, 'tokens')) else ids = { id } end
local n = 0
for _, tid in ipairs(ids) do
  local sha = redis.call('HGET', k('user', user, 'tokens'), tid)
  if sha then
    local t = redis.call('HGET', k('tokens'), sha)
    if t and cjson.decode(t).seeded then redis.call('SADD', k('tokens', 'revoked'), tid) end
    redis.call('HDEL', k('tokens'), sha)
    redis.call('HDEL', k('user', user, 'tokens'), tid)
    emit('token.revoked', { userId = user, tokenId = tid })
    n = n + 1
  end
end
if n == 0 and id ~= '*' then return {0, 'NOT_FOUND'} end
return {1, n}
