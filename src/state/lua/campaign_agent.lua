-- campaign_agent: an agent logs in to a campaign, logs out, pauses (with a reason) or unpauses in it.
-- ARGV: 4 campaignId, 5 agentId, 6 'login' | 'logout' | 'pause' | 'ready', 7 pause reason
-- Result: {1, JSON CampaignAgent state} | {0, 'CAMPAIGN_NOT_FOUND'} | {0, 'AGENT_NOT_ASSIGNED'} | {0, 'AGENT_NOT_LOGGED_IN'} (pause/ready)
-- Events: campaign.agent; campaign.stats (login/logout); agent.state when a logged-out agent logs in
--   (it becomes ready, as a queue login makes it) or one with nothing left to serve logs out
-- The campaign pause is the agent's own in this campaign: its global state and its queues are untouched.
local id, agent_id, what, reason = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if redis.call('SISMEMBER', k('campaigns'), id) == 0 then return {0, 'CAMPAIGN_NOT_FOUND'} end
if redis.call('SISMEMBER', k('campaign', id, 'agents'), agent_id) == 0 then return {0, 'AGENT_NOT_ASSIGNED'} end
local logged = redis.call('HEXISTS', k('campaign', id, 'login'), agent_id) == 1
if what == 'login' then
  if not logged then
    redis.call('HSET', k('campaign', id, 'login'), agent_id, NOW)
    redis.call('SADD', k('agent', agent_id, 'campaigns'), id)
    local a = agent_get(agent_id)
    if a.state == 'logged_out' then agent_set_state(agent_id, 'ready', nil, {'idleSince', NOW, 'loginAt', NOW}) end
  end
elseif what == 'logout' then
  campaign_logout(id, agent_id)
else
  if not logged then return {0, 'AGENT_NOT_LOGGED_IN'} end
  if what == 'pause' then redis.call('HSET', k('campaign', id, 'paused'), agent_id, reason ~= '' and reason or 'paused')
  else redis.call('HDEL', k('campaign', id, 'paused'), agent_id) end
end
local v = campaign_agent_view(id, agent_id)
cemit('campaign.agent', v)
if what == 'login' or what == 'logout' then emit_stats(id) end
return {1, fix_arrays(cjson.encode(v))}
