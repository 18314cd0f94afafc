-- password_set: a user's sign-in password, as an scrypt hash (salt and parameters in the string).
-- Set by an admin or by the user; mode seed sets it only when the user has none (the config file's
-- sample password does not undo a change made since). An admin's reset ends the user's sessions
-- (whoever knew the old password is signed out); the user's own change keeps them, and API tokens
-- are never touched here.
-- KEYS: 1 registry:users, 2 passwords, 3 tokens, 4 user:<userId>:tokens, 5 events
-- ARGV: 3 userId, 4 encoded hash, 5 mode (set | seed), 6 by (who set it)
-- Result: {1, 'set' | 'kept'} | {0, 'NO_USER'}
-- Events: user.password_changed {userId, by} (not for a seed), token.revoked {userId, tokenId} per session ended
local USERS, PASSWORDS, TOKENS, USER_TOKENS = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
EVENTS = KEYS[5]
local user, hash, mode, by = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if redis.call('HEXISTS', USERS, user) == 0 then return {0, 'NO_USER'} end
if mode == 'seed' then
  if redis.call('HSETNX', PASSWORDS, user, hash) == 1 then return {1, 'set'} end
  return {1, 'kept'}
end
redis.call('HSET', PASSWORDS, user, hash)
emit('user.password_changed', { userId = user, by = by })
if by ~= user then
  local mine = redis.call('HGETALL', USER_TOKENS)
  for i = 1, #mine, 2 do
    local t = redis.call('HGET', TOKENS, mine[i + 1])
    if t and cjson.decode(t).kind == 'session' then
      redis.call('HDEL', TOKENS, mine[i + 1])
      redis.call('HDEL', USER_TOKENS, mine[i])
      emit('token.revoked', { userId = user, tokenId = mine[i] })
    end
  end
end
return {1, 'set'}
