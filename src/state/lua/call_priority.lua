-- call_priority: change a waiting caller's priority and/or required skills (API). The virtual
-- enqueue time is recomputed from the caller's unprioritised time, so changing the priority back
-- restores their place.
-- ARGV: 3 callId, 4 priority ('' keeps it), 5 skills JSON ('' keeps them), 6 priority step ms, 7 userId
-- Result: {1, position} | {0, 'NOT_WAITING'}
-- Events: call.updated
local id = ARGV[3]
local c = call_get(id)
if not c or (c.state ~= 'waiting' and c.state ~= 'offered') then return {0, 'NOT_WAITING'} end
local old = tonumber(c.priority) or 0
local priority = ARGV[4] ~= '' and tonumber(ARGV[4]) or old
local step = tonumber(ARGV[6])
-- the time before any priority (an overflowed or transferred caller's original time included)
local base = tonumber(c.vtime) + old * (tonumber(c.priorityStep) or step)
local vtime = base - priority * step
redis.call('HSET', k('call', id), 'priority', priority, 'vtime', vtime, 'priorityStep', step)
if ARGV[5] ~= '' then redis.call('HSET', k('call', id), 'skills', ARGV[5]) end
if c.state == 'waiting' then redis.call('ZADD', k('queue', c.queueId, 'waiting'), vtime, id) end
local skills = ARGV[5] ~= '' and cjson.decode(ARGV[5]) or ((c.skills and c.skills ~= '') and cjson.decode(c.skills) or cjson.null)
emit('call.updated', { callId = id, queueId = c.queueId, priority = priority, skills = skills, position = position(c.queueId, id), by = ARGV[7] })
return {1, position(c.queueId, id)}
