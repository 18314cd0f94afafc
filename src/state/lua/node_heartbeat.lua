-- node_heartbeat: this controller is alive (sent about once a second); in the same step, which
-- controllers are live and which have lapsed (not seen for the lapse: dead with their Asterisk).
-- KEYS: 1 nodes, 2 nodes:lost, 3 events, 4 nodes:since
--   (nodes: node id → last beat ms; nodes:lost: node being taken over → its claimant's deadline;
--   nodes:since: node id → since when it has beaten without a gap)
-- ARGV: 3 nodeId, 4 lapse ms, 5 away ms (0, or: this node stops for a planned restart and is to be
--   counted live this much longer, so that its callers, who wait on its Asterisk, are not taken over),
--   6 heartbeat ms
-- Result: {1, live nodes (JSON array, this one included), nodes due for a takeover (JSON array), '1' when
--   this node was not known as live before this beat (its first beat, or it was taken over meanwhile)}
-- Events: node.up when this node was not known as live
-- No event per beat: the stream would fill with them. A node is due for a takeover when it lapsed,
-- or when the claimant of its takeover did not finish by its deadline (it died too).
-- A node names none due until it has itself beaten without a gap for twice the lapse: after a Redis
-- outage (or a stall of this node) every node's last beat is old, and the first one back must not
-- take over the others, who are reconnecting (ioredis backs off up to 2 s) and still hold their
-- callers. A node that really died stays silent while this one beats, and is due then.
local NODES, LOST, SINCE = KEYS[1], KEYS[2], KEYS[4]
EVENTS = KEYS[3]
local node, lapse, away = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]) or 0
local heartbeat = tonumber(ARGV[6]) or math.floor(lapse / 3)
local prev = tonumber(redis.call('ZSCORE', NODES, node))
local since = tonumber(redis.call('HGET', SINCE, node))
if not prev or not since or NOW - prev > 2 * heartbeat then
  since = NOW
  redis.call('HSET', SINCE, node, since)
end
local added = redis.call('ZADD', NODES, NOW + away, node)
if added == 1 then emit('node.up', { node = node }) end
-- back while being taken over: its own reconcile settles what it held (each step is idempotent)
redis.call('ZREM', LOST, node)
local live = redis.call('ZRANGEBYSCORE', NODES, NOW - lapse, '+inf')
local due = {}
if NOW - since >= 2 * lapse then
  due = redis.call('ZRANGEBYSCORE', NODES, '-inf', '(' .. (NOW - lapse))
  for _, n in ipairs(redis.call('ZRANGEBYSCORE', LOST, '-inf', NOW)) do
    if n ~= node then due[#due + 1] = n end
  end
end
return {1, cjson.encode(live), cjson.encode(due), added == 1 and '1' or '0'}
