-- agent_device: the agent's phone changed: registered or not (PJSIP endpoint state), busy with a
-- call that is not the ACD's (device state). An agent whose phone is offline or busy is not offered
-- calls; it comes back by itself when the phone does.
-- ARGV: 3 agentId, 4 device (online | offline | busy)
-- Result: {1} | {0, 'NO_CHANGE'} (also: 'busy' while the agent is reserved, on a call or in wrap-up:
--   the ACD's own offers and calls make the phone busy too, only a call of its own counts)
-- Events: agent.state (with device) when it changes
local id, device = ARGV[3], ARGV[4]
local a = agent_get(id)
if (a.device or 'online') == device then return {0, 'NO_CHANGE'} end
if device == 'busy' and (a.state == 'reserved' or a.state == 'on_call' or a.state == 'wrap_up') then return {0, 'NO_CHANGE'} end
redis.call('HSET', k('agent', id), 'device', device)
if a.state ~= 'logged_out' then agent_set_state(id, a.state, a.reason ~= '' and a.reason or nil) end
return {1}
