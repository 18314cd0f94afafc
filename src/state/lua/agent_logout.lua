-- agent_logout: log an agent out of some queues, or of all of them.
-- ARGV: 3 agentId, 4 JSON array of queue ids (empty: all)
-- Result: {1, state} | {0, 'AGENT_LOGGED_OUT'} | {0, 'AGENT_BUSY'} (ringing or on a call: finish it first)
-- Events: agent.state
local id = ARGV[3]
local queues = cjson.decode(ARGV[4])
local a = agent_get(id)
if a.state == 'logged_out' then return {0, 'AGENT_LOGGED_OUT'} end
if a.state == 'reserved' or a.state == 'on_call' then return {0, 'AGENT_BUSY'} end
if #queues == 0 then queues = agent_queues(id) end
for _, q in ipairs(queues) do
  redis.call('HDEL', k('agent', id, 'paused'), q)
  redis.call('SREM', k('agent', id, 'queues'), q)
  redis.call('SREM', k('queue', q, 'agents'), id)
  redis.call('ZREM', k('queue', q, 'ready'), id)
end
if redis.call('SCARD', k('agent', id, 'queues')) == 0 then
  -- logging out ends a wrap-up too (the agent's day is over)
  if a.wrapupToken then redis.call('ZREM', k('timers'), 'wrapup|' .. id .. '|' .. a.wrapupToken) end
  agent_set_state(id, 'logged_out', nil, {}, {'idleSince', 'loginAt', 'wrapupToken', 'wrapupUntil', 'wrapupMax', 'wrapupStep', 'wrapupQueue'})
else
  agent_set_state(id, a.state, a.reason ~= '' and a.reason or nil)
end
return {1, agent_get(id).state}
