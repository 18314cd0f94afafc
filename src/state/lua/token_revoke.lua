-- token_revoke: a token stops working at once, on every controller (they look tokens up in Redis).
-- KEYS: 1 tokens:revoked, 2 tokens, 3 user:<userId>:tokens, 4 events
-- ARGV: 3 userId, 4 tokenId ('*' for all of the user's tokens)
-- Result: {1, count} | {0, 'NOT_FOUND'}
-- A token seeded from the config file is remembered as revoked (tokens:revoked), so a restart does not seed it again.
-- Events: token.revoked (one per token)
local REVOKED, TOKENS, USER_TOKENS = KEYS[1], KEYS[2], KEYS[3]
EVENTS = KEYS[4]
local user, id = ARGV[3], ARGV[4]
local ids = {}
if id == '*' then ids = redis.call('HKEYS', USER_TOKENS) else ids = { id } end
local n = 0
for _, tid in ipairs(ids) do
  local sha = redis.call('HGET', USER_TOKENS, tid)
  if sha then
    local t = redis.call('HGET', TOKENS, sha)
    if t and cjson.decode(t).seeded then redis.call('SADD', REVOKED, tid) end
    redis.call('HDEL', TOKENS, sha)
    redis.call('HDEL', USER_TOKENS, tid)
    emit('token.revoked', { userId = user, tokenId = tid })
    n = n + 1
  end
end
if n == 0 and id ~= '*' then return {0, 'NOT_FOUND'} end
return {1, n}
