-- campaign_state: pause or resume a whole campaign. Paused: no new call is dialed (calls in progress go on).
-- ARGV: 4 campaignId, 5 'active' | 'paused'
-- Result: {1, JSON Campaign} | {0, 'CAMPAIGN_NOT_FOUND'}
-- Events: campaign.updated (only when the state changes)
local id, state = ARGV[4], ARGV[5]
local c = campaign_get(id)
if not c then return {0, 'CAMPAIGN_NOT_FOUND'} end
if c.state ~= state then
  redis.call('HSET', k('campaign', id), 'state', state)
  cemit('campaign.updated', { campaignId = id, campaign = campaign_view(id) })
end
return {1, cjson.encode(campaign_view(id))}
