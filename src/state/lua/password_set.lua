-- password_set: a user's sign-in password, as an scrypt hash (salt and parameters in the string).
-- Set by an admin or by the user; mode seed sets it only when the user has none (the config file's
-- sample password does not undo a change made since). An admin's reset ends the user's sessions
-- (whoever knew the old password is signed out); the user's own change keeps them, and API tokens
-- are never touched here.
-- ARGV: 3 userId, 4 encoded hash, 5 mode (set | seed), 6 by (who set it)
-- Result: {1, 'set' | 'kept'} | {0, 'NO_USER'}
-- Events: user.password_changed {userId, by} (not for a seed), token.revoked {userId, tokenId} per session ended
local user, hash, mode, by = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if redis.call('HEXISTS', k('registry', 'users'), user) == 0 then return {0, 'NO_USER'} end
if mode == 'seed' then
  if redis.call('HSETNX', k('passwords'), user, hash) == 1 then return {1, 'set'} end
  return {1, 'kept'}
end
redis.call('HSET', k('passwords'), user, hash)
emit('user.password_changed', { userId = user, by = by })
if by ~= user then
  local mine = redis.call('HGETALL', k('user', user, 'tokens'))
  for i = 1, #mine, 2 do
    local t = redis.call('HGET', k('tokens'), mine[i + 1])
    if t and cjson.decode(t).kind == 'session' then
      redis.call('HDEL', k('tokens'), mine[i + 1])
      redis.call('HDEL', k('user', user, 'tokens'), mine[i])
      emit('token.revoked', { userId = user, tokenId = mine[i] })
    end
  end
end
return {1, 'set'}
