-- wrapup_end: after-call work is over: ended early (agent or supervisor) or its deadline passed
-- (the timer; only with the current token and once due). The agent is ready, idle from now.
-- KEYS: 1 agent:<agentId>, 2 timers, 3 events
-- ARGV: 3 agentId, 4 token ('' when ended early), 5 '1' when the timer fires
-- Result: {1} | {0, 'NOT_IN_WRAPUP'} | {0, 'NOT_DUE'}
-- Events: agent.state(ready)
local AGENT = KEYS[1]
TIMERS, EVENTS = KEYS[2], KEYS[3]
local id, token, from_timer = ARGV[3], ARGV[4], ARGV[5] == '1'
local a = agent_get(id, AGENT)
if a.state ~= 'wrap_up' or (token ~= '' and token ~= a.wrapupToken) then
  if from_timer then redis.call('ZREM', TIMERS, 'wrapup|' .. id .. '|' .. token) end
  return {0, 'NOT_IN_WRAPUP'}
end
if from_timer and tonumber(a.wrapupUntil) > NOW then return {0, 'NOT_DUE'} end
redis.call('ZREM', TIMERS, 'wrapup|' .. id .. '|' .. a.wrapupToken)
agent_set_state(id, 'ready', nil, {'idleSince', NOW}, {'wrapupToken', 'wrapupUntil', 'wrapupMax', 'wrapupStep', 'wrapupQueue'})
return {1}
