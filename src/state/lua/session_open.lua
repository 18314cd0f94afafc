-- session_open: a signed-in user's session, a bearer token with an expiry in the same token store as
-- API tokens, so REST and the WebSocket accept it alike and sign-out is token_revoke (token.revoked).
-- The user's sessions that have already expired are dropped here, so they do not pile up.
-- KEYS: 1 registry:users, 2 tokens, 3 user:<userId>:tokens, 4 events
-- ARGV: 3 userId, 4 tokenId, 5 sha256 of the token, 6 expiresAt (ms), 7 label (e.g. the browser's address)
-- Result: {1} | {0, 'NO_USER'} | {0, 'EXISTS'}
-- Events: session.opened {userId, tokenId, expiresAt}
local USERS, TOKENS, USER_TOKENS = KEYS[1], KEYS[2], KEYS[3]
EVENTS = KEYS[4]
local user, id, sha, expires, label = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7]
if redis.call('HEXISTS', USERS, user) == 0 then return {0, 'NO_USER'} end
if redis.call('HEXISTS', TOKENS, sha) == 1 then return {0, 'EXISTS'} end
local mine = redis.call('HGETALL', USER_TOKENS)
for i = 1, #mine, 2 do
  local t = redis.call('HGET', TOKENS, mine[i + 1])
  if not t then
    redis.call('HDEL', USER_TOKENS, mine[i])
  else
    local exp = cjson.decode(t).expiresAt
    if type(exp) == 'number' and exp <= NOW then
      redis.call('HDEL', TOKENS, mine[i + 1])
      redis.call('HDEL', USER_TOKENS, mine[i])
    end
  end
end
redis.call('HSET', TOKENS, sha, cjson.encode({ userId = user, tokenId = id, label = label, createdAt = NOW, kind = 'session', expiresAt = expires }))
redis.call('HSET', USER_TOKENS, id, sha)
emit('session.opened', { userId = user, tokenId = id, expiresAt = expires })
return {1}
