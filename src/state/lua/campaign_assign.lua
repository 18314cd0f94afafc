-- campaign_assign: assign an agent to a campaign, or remove it (which logs it out of the campaign).
-- ARGV: 4 campaignId, 5 agentId (an agent of the registry: checked by the caller), 6 'add' | 'remove'
-- Result: {1} | {0, 'CAMPAIGN_NOT_FOUND'} | {0, 'AGENT_NOT_ASSIGNED'} (remove of an agent not assigned)
-- Events: campaign.updated; on remove of a logged-in agent campaign.agent (and agent.state if it has nothing left)
local id, agent_id, what = ARGV[4], ARGV[5], ARGV[6]
if redis.call('SISMEMBER', k('campaigns'), id) == 0 then return {0, 'CAMPAIGN_NOT_FOUND'} end
if what == 'add' then
  if redis.call('SADD', k('campaign', id, 'agents'), agent_id) == 1 then
    cemit('campaign.updated', { campaignId = id, campaign = campaign_view(id) })
  end
  return {1}
end
if redis.call('SREM', k('campaign', id, 'agents'), agent_id) == 0 then return {0, 'AGENT_NOT_ASSIGNED'} end
if campaign_logout(id, agent_id) then
  cemit('campaign.agent', { campaignId = id, agentId = agent_id, loggedIn = false, paused = false })
  emit_stats(id)
end
cemit('campaign.updated', { campaignId = id, campaign = campaign_view(id) })
return {1}
