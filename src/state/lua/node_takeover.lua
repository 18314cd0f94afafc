-- node_takeover: a live controller claims a dead one's state (its callers, offers, calls, callbacks
-- and campaign calls) to settle it. Of any number of controllers claiming at once, exactly one wins.
-- KEYS: 1 nodes, 2 nodes:lost, 3 events
-- ARGV: 3 dead node, 4 claimant node, 5 lapse ms, 6 claim ms (the claimant's deadline to finish: after
--   it another controller may claim again, in case the claimant died as well)
-- Result: {1, the dead node's last beat (ms)} | {0, 'NOT_LAPSED'} (seen within the lapse, back since,
--   unknown, or claimed by another whose deadline has not passed)
-- Events: node.lost (the first claim only)
-- Settling is done by one transition per call or entry, each idempotent: a second claimant after a
-- missed deadline, or the dead node restarting with the same id, counts nothing twice.
local NODES, LOST = KEYS[1], KEYS[2]
EVENTS = KEYS[3]
local dead, claimant, lapse, claim_ms = ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local seen = redis.call('ZSCORE', NODES, dead)
if seen then
  if tonumber(seen) >= NOW - lapse then return {0, 'NOT_LAPSED'} end
  redis.call('ZREM', NODES, dead)
  redis.call('ZADD', LOST, NOW + claim_ms, dead)
  redis.call('HSET', k('node', dead), 'lastSeen', seen, 'lostAt', NOW, 'takenOverBy', claimant)
  emit('node.lost', { node = dead, lastSeen = tonumber(seen), takenOverBy = claimant })
  return {1, tonumber(seen)}
end
local deadline = redis.call('ZSCORE', LOST, dead)
if not deadline or tonumber(deadline) > NOW then return {0, 'NOT_LAPSED'} end
redis.call('ZADD', LOST, NOW + claim_ms, dead)
redis.call('HSET', k('node', dead), 'takenOverBy', claimant)
return {1, tonumber(redis.call('HGET', k('node', dead), 'lastSeen') or '0')}
