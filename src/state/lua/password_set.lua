-- password_set: a user's sign-in password, as an scrypt hash (salt and parameters in the string).
-- Set by an admin or by the user; mode seed sets it only when the user has none (the config file's
-- sample password does not undo a change made since).
-- ARGV: 3 userId, 4 encoded hash, 5 mode (set | seed), 6 by (who set it)
-- Result: {1, 'set' | 'kept'} | {0, 'NO_USER'}
-- Events: user.password_changed {userId, by} (not for a seed)
local user, hash, mode, by = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if redis.call('HEXISTS', k('registry', 'users'), user) == 0 then return {0, 'NO_USER'} end
if mode == 'seed' then
  if redis.call('HSETNX', k('passwords'), user, hash) == 1 then return {1, 'set'} end
  return {1, 'kept'}
end
redis.call('HSET', k('passwords'), user, hash)
emit('user.password_changed', { userId = user, by = by })
return {1, 'set'}
