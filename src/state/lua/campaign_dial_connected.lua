-- campaign_dial_connected: the customer answered and is bridged with the agent.
-- ARGV: 4 entryId, 5 token
-- Result: {1} | {0, 'STALE'}
-- Events: campaign.call(connected)
local eid, token = ARGV[4], ARGV[5]
local e = entry_get(eid)
if not e or e.status ~= 'dialing' or e.token ~= token or e.callState ~= 'customer_ringing' then return {0, 'STALE'} end
redis.call('HSET', k('centry', eid), 'callState', 'connected', 'connectedAt', NOW)
cemit('campaign.call', { campaignId = e.campaignId, entryId = eid, agentId = e.agentId, state = 'connected', callId = e.callId })
return {1}
