-- agent_ready: a paused agent becomes ready again: everywhere (also ending any per-queue pause), or
-- only in some queues (ending the pause there).
-- ARGV: 3 agentId, 4 JSON array of queue ids (empty: all)
-- Result: {1, state} | {0, 'AGENT_LOGGED_OUT'} | {0, 'AGENT_BUSY'} | {0, 'AGENT_IN_WRAPUP'} (end the wrap-up instead)
-- Events: agent.state (not when nothing changes)
-- Idle time is not reset by a pause: longest-idle counts from the last call (or the login).
local id = ARGV[3]
local queues = cjson.decode(ARGV[4] or '[]')
local a = agent_get(id)
if a.state == 'logged_out' then return {0, 'AGENT_LOGGED_OUT'} end
if #queues > 0 then
  local changed = false
  for _, q in ipairs(queues) do
    if redis.call('HDEL', k('agent', id, 'paused'), q) == 1 then changed = true end
  end
  if changed then agent_set_state(id, a.state, a.reason ~= '' and a.reason or nil) end
  return {1, a.state}
end
if a.state == 'reserved' or a.state == 'on_call' then return {0, 'AGENT_BUSY'} end
if a.state == 'wrap_up' then return {0, 'AGENT_IN_WRAPUP'} end
local had = redis.call('DEL', k('agent', id, 'paused')) == 1
if a.state ~= 'ready' or had then agent_set_state(id, 'ready', nil) end
return {1, 'ready'}
