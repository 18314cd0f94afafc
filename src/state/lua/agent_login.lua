-- agent_login: log an agent in to some queues (adds to its current logins).
-- ARGV: 3 agentId, 4 JSON array of queue ids (validated by the caller: assigned and existing)
-- Result: {1, state}
-- Events: agent.state
-- A logged-out agent becomes ready and counts as idle since now; an agent already logged in keeps
-- its state (so a login during a call only adds queues).
local id = ARGV[3]
local queues = cjson.decode(ARGV[4])
local a = agent_get(id)
for _, q in ipairs(queues) do
  redis.call('SADD', k('agent', id, 'queues'), q)
  redis.call('SADD', k('queue', q, 'agents'), id)
end
if a.state == 'logged_out' then
  agent_set_state(id, 'ready', nil, {'idleSince', NOW, 'loginAt', NOW})
else
  agent_set_state(id, a.state, a.reason ~= '' and a.reason or nil)
end
return {1, agent_get(id).state}
