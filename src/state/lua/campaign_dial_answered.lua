-- campaign_dial_answered: the agent answered a campaign call: the agent is on the call, the customer is about to be dialed.
-- ARGV: 4 entryId, 5 token
-- Result: {1} | {0, 'STALE'} (not this entry's current call, or not ringing the agent any more)
-- Events: agent.state(on_call), campaign.call(customer_ringing)
local eid, token = ARGV[4], ARGV[5]
local e = entry_get(eid)
if not e or e.status ~= 'dialing' or e.token ~= token or e.callState ~= 'agent_ringing' then return {0, 'STALE'} end
redis.call('ZREM', k('timers'), 'campaign|' .. eid .. '|' .. token)
redis.call('HSET', k('centry', eid), 'callState', 'customer_ringing', 'agentAnsweredAt', NOW)
-- the number is dialed now: "one attempt per number per day" reads this (kept two days)
redis.call('ZADD', k('campaigns', 'dialed'), NOW, e.number)
redis.call('ZREMRANGEBYSCORE', k('campaigns', 'dialed'), '-inf', NOW - 2 * 86400000)
local a = agent_get(e.agentId)
if a.state == 'reserved' and a.callId == e.callId then
  agent_set_state(e.agentId, 'on_call', nil, {'answeredAt', NOW}, {'offerToken'})
end
cemit('campaign.call', { campaignId = e.campaignId, entryId = eid, agentId = e.agentId, state = 'customer_ringing', callId = e.callId })
return {1}
