-- agent_pause: a logged-in agent stops receiving calls, with a reason: everywhere (global pause), or
-- only in some of its queues (it keeps taking calls from the others).
-- ARGV: 3 agentId, 4 reason, 5 JSON array of queue ids (empty: all)
-- Result: {1, state} | {0, 'AGENT_LOGGED_OUT'} | {0, 'AGENT_BUSY'} | {0, 'AGENT_IN_WRAPUP'} | {0, 'NOT_LOGGED_IN_QUEUE'}
-- Events: agent.state
local id, reason = ARGV[3], ARGV[4]
local queues = cjson.decode(ARGV[5] or '[]')
local a = agent_get(id)
if a.state == 'logged_out' then return {0, 'AGENT_LOGGED_OUT'} end
if #queues > 0 then
  for _, q in ipairs(queues) do
    if redis.call('SISMEMBER', k('agent', id, 'queues'), q) == 0 then return {0, 'NOT_LOGGED_IN_QUEUE'} end
  end
  for _, q in ipairs(queues) do redis.call('HSET', k('agent', id, 'paused'), q, reason) end
  agent_set_state(id, a.state, a.reason ~= '' and a.reason or nil)
  return {1, a.state}
end
if a.state == 'reserved' or a.state == 'on_call' then return {0, 'AGENT_BUSY'} end
if a.state == 'wrap_up' then return {0, 'AGENT_IN_WRAPUP'} end
if not (a.state == 'paused' and a.reason == reason) then agent_set_state(id, 'paused', reason) end
return {1, 'paused'}
