-- token_issue: give a user a bearer token. Only its SHA-256 is stored; the token itself is shown once.
-- KEYS: 1 registry:users, 2 tokens:revoked, 3 tokens, 4 user:<userId>:tokens, 5 events
-- ARGV: 3 userId, 4 tokenId, 5 sha256 of the token, 6 label, 7 mode (issue | seed: keep an existing hash)
-- Result: {1} | {0, 'NO_USER'} | {0, 'EXISTS'} | {0, 'REVOKED'} (seed: a config token revoked through the API stays revoked)
-- Events: token.issued
local USERS, REVOKED, TOKENS, USER_TOKENS = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
EVENTS = KEYS[5]
local user, id, sha, label, mode = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if redis.call('HEXISTS', USERS, user) == 0 then return {0, 'NO_USER'} end
if redis.call('HEXISTS', TOKENS, sha) == 1 then return {0, 'EXISTS'} end
if mode == 'seed' and redis.call('SISMEMBER', REVOKED, id) == 1 then return {0, 'REVOKED'} end
-- a seeded token is marked: revoking it is remembered (token_revoke), so the next start does not bring it back
redis.call('HSET', TOKENS, sha, cjson.encode({ userId = user, tokenId = id, label = label, createdAt = NOW, seeded = mode == 'seed' or nil }))
redis.call('HSET', USER_TOKENS, id, sha)
if mode ~= 'seed' then emit('token.issued', { userId = user, tokenId = id, label = label }) end
return {1}
