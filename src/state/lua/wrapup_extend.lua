-- wrapup_extend: more after-call work: the deadline moves by the queue's step, up to its maximum.
-- KEYS: 1 agent:<agentId>, 2 timers, 3 events
-- ARGV: 3 agentId
-- Result: {1, new deadline} | {0, 'NOT_IN_WRAPUP'} | {0, 'WRAPUP_MAX'}
-- Events: agent.state(wrap_up with the new deadline)
local AGENT = KEYS[1]
TIMERS, EVENTS = KEYS[2], KEYS[3]
local id = ARGV[3]
local a = agent_get(id, AGENT)
if a.state ~= 'wrap_up' then return {0, 'NOT_IN_WRAPUP'} end
local until_ = tonumber(a.wrapupUntil) + tonumber(a.wrapupStep)
if until_ > tonumber(a.wrapupMax) then return {0, 'WRAPUP_MAX'} end
redis.call('ZREM', TIMERS, 'wrapup|' .. id .. '|' .. a.wrapupToken)
redis.call('ZADD', TIMERS, until_, 'wrapup|' .. id .. '|' .. a.wrapupToken)
agent_set_state(id, 'wrap_up', nil, {'wrapupUntil', until_})
return {1, until_}
