-- agent_pause: a logged-in agent stops receiving calls, with a reason.
-- ARGV: 3 agentId, 4 reason
-- Result: {1, 'paused'} | {0, 'AGENT_LOGGED_OUT'} | {0, 'AGENT_BUSY'} | {0, 'AGENT_IN_WRAPUP'}
-- Events: agent.state
local id, reason = ARGV[3], ARGV[4]
local a = agent_get(id)
if a.state == 'logged_out' then return {0, 'AGENT_LOGGED_OUT'} end
if a.state == 'reserved' or a.state == 'on_call' then return {0, 'AGENT_BUSY'} end
if a.state == 'wrap_up' then return {0, 'AGENT_IN_WRAPUP'} end
if not (a.state == 'paused' and a.reason == reason) then agent_set_state(id, 'paused', reason) end
return {1, 'paused'}
