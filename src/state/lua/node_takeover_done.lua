-- node_takeover_done: the claimant settled everything the dead controller held.
-- KEYS: 1 nodes:lost, 2 events
-- ARGV: 3 dead node, 4 claimant node, 5 callers lost, 6 connected calls ended, 7 callback requests settled, 8 campaign calls settled
-- Result: {1}
-- Events: node.taken_over (with what was settled)
local LOST = KEYS[1]
EVENTS = KEYS[2]
local dead, claimant = ARGV[3], ARGV[4]
redis.call('ZREM', LOST, dead)
redis.call('HSET', k('node', dead), 'takenOverAt', NOW, 'takenOverBy', claimant)
redis.call('EXPIRE', k('node', dead), record_ttl())
emit('node.taken_over', { node = dead, takenOverBy = claimant, callersLost = tonumber(ARGV[5]), callsEnded = tonumber(ARGV[6]),
  callbacks = tonumber(ARGV[7]), campaignCalls = tonumber(ARGV[8]) })
return {1}
