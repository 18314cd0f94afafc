-- agent_ready: a paused agent becomes ready again.
-- ARGV: 3 agentId
-- Result: {1, 'ready'} | {0, 'AGENT_LOGGED_OUT'} | {0, 'AGENT_BUSY'} | {0, 'AGENT_IN_WRAPUP'} (end the wrap-up instead)
-- Events: agent.state (not when already ready)
-- Idle time is not reset by a pause: longest-idle counts from the last call (or the login).
local id = ARGV[3]
local a = agent_get(id)
if a.state == 'logged_out' then return {0, 'AGENT_LOGGED_OUT'} end
if a.state == 'reserved' or a.state == 'on_call' then return {0, 'AGENT_BUSY'} end
if a.state == 'wrap_up' then return {0, 'AGENT_IN_WRAPUP'} end
if a.state ~= 'ready' then agent_set_state(id, 'ready', nil) end
return {1, 'ready'}
