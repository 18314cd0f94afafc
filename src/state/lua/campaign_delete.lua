-- campaign_delete: delete a campaign with its entries; its agents are logged out of it.
-- ARGV: 4 campaignId
-- Result: {1, number of entries deleted} | {0, 'CAMPAIGN_NOT_FOUND'} | {0, 'CAMPAIGN_DIALING'} (a call is in progress: pause, wait, delete)
-- Events: campaign.agent (each agent logged out of it), agent.state (an agent with nothing left to serve), campaign.updated {campaign: null}
local id = ARGV[4]
if redis.call('SISMEMBER', k('campaigns'), id) == 0 then return {0, 'CAMPAIGN_NOT_FOUND'} end
if redis.call('ZCARD', k('campaign', id, 'st', 'dialing')) > 0 then return {0, 'CAMPAIGN_DIALING'} end
for _, a in ipairs(redis.call('HKEYS', k('campaign', id, 'login'))) do
  campaign_logout(id, a)
  cemit('campaign.agent', { campaignId = id, agentId = a, loggedIn = false, paused = false })
end
local ids = redis.call('ZRANGE', k('campaign', id, 'entries'), 0, -1)
for _, e in ipairs(ids) do
  local en = entry_get(e)
  if en then entry_remove(en) end
end
redis.call('DEL', k('campaign', id), k('campaign', id, 'agents'), k('campaign', id, 'login'), k('campaign', id, 'paused'),
  k('campaign', id, 'entries'), k('campaign', id, 'calls'))
for _, s in ipairs(STATUSES) do redis.call('DEL', k('campaign', id, 'st', s)) end
redis.call('SREM', k('campaigns'), id)
cemit('campaign.updated', { campaignId = id, campaign = cjson.null })
return {1, #ids}
