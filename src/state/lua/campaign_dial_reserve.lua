-- campaign_dial_reserve: reserve a ready agent of a campaign for the campaign's next entry (the agent's
-- phone is about to ring, agent first).
-- ARGV: 4 campaignId, 5 agentId, 6 token, 7 ring deadline (ms), 8 node dialing, 9 call id (the agent's callId)
-- Result: {1, entryId} | {0, 'CAMPAIGN_NOT_FOUND'} | {0, 'CAMPAIGN_PAUSED'} | {0, 'AGENT_NOT_LOGGED_IN'}
--   | {0, 'AGENT_PAUSED'} (in this campaign) | {0, 'AGENT_NOT_READY'} | {0, 'INBOUND_WAITING'} (inboundFirst:
--   a caller waits in one of the agent's queues) | {0, 'NO_ENTRY'} (nothing to dial now)
-- Events: agent.state(reserved), campaign.entry(dialing), campaign.call(agent_ringing), campaign.stats;
--   campaign.entry(not_completed, refused) for an entry on the do-not-call list (option doNotCall)
-- The check and the reservation are one step on the agent's one global state (the same the queue
-- offers use): of any number of racing reservations or offers for one agent, exactly one wins. The
-- ring deadline is a Redis timer: if the dialing controller dies, any controller frees the agent.
local cid, agent_id, token, expires, node, call_id = ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8], ARGV[9]
local c = campaign_get(cid)
if not c then return {0, 'CAMPAIGN_NOT_FOUND'} end
if c.state ~= 'active' then return {0, 'CAMPAIGN_PAUSED'} end
if redis.call('HEXISTS', k('campaign', cid, 'login'), agent_id) == 0 then return {0, 'AGENT_NOT_LOGGED_IN'} end
if redis.call('HEXISTS', k('campaign', cid, 'paused'), agent_id) == 1 then return {0, 'AGENT_PAUSED'} end
local a = agent_get(agent_id)
if a.state ~= 'ready' or a.device == 'offline' or a.device == 'busy' then return {0, 'AGENT_NOT_READY'} end
if c.inboundFirst ~= '0' then
  for _, q in ipairs(agent_queues(agent_id)) do
    if redis.call('HEXISTS', k('agent', agent_id, 'paused'), q) == 0 and redis.call('ZCARD', k('queue', q, 'waiting')) > 0 then
      return {0, 'INBOUND_WAITING'}
    end
  end
end
-- the first waiting entry in dial order whose retry time (if any) has come; with the options on, a
-- number on the do-not-call list is resolved as refused (never dialed), and one already dialed today waits
local opts = json_or(c.options, {})
local pick
for _, eid in ipairs(redis.call('ZRANGE', k('campaign', cid, 'st', 'waiting'), 0, 199)) do
  local en = entry_get(eid)
  local due = tonumber(en.dueAt or '')
  if not due or due <= NOW then
    if opts.doNotCall == true and redis.call('SISMEMBER', k('campaigns', 'dnc'), en.number) == 1 then
      entry_status(eid, cid, 'waiting', 'not_completed', tonumber(en.seq))
      redis.call('HSET', k('centry', eid), 'lastOutcome', 'refused', 'resolvedAt', NOW, 'refusedBy', 'do-not-call')
      cemit('campaign.entry', { campaignId = cid, entryId = eid, status = 'not_completed', lastOutcome = 'refused', reason = 'do-not-call' })
    elseif opts.onePerNumberPerDay == true and (tonumber(redis.call('ZSCORE', k('campaigns', 'dialed'), en.number) or '') or 0) >= TODAY then
      -- dialed today already (by any campaign): tomorrow
    else
      pick = eid
      break
    end
  end
end
if not pick then return {0, 'NO_ENTRY'} end
local e = entry_get(pick)
local attempt = (tonumber(e.attempts) or 0) + 1
entry_status(pick, cid, 'waiting', 'dialing', tonumber(e.seq))
redis.call('HSET', k('centry', pick), 'agentId', agent_id, 'token', token, 'node', node, 'callId', call_id, 'dialedAt', NOW,
  'callState', 'agent_ringing', 'attempts', attempt)
redis.call('HDEL', k('centry', pick), 'dueAt', 'agentAnsweredAt', 'connectedAt')
redis.call('ZADD', k('timers'), expires, 'campaign|' .. pick .. '|' .. token)
redis.call('ZADD', k('campaign', cid, 'calls'), NOW, pick .. ':' .. attempt)
redis.call('ZREMRANGEBYSCORE', k('campaign', cid, 'calls'), '-inf', TODAY - 2 * 86400000)
agent_set_state(agent_id, 'reserved', nil, {'callId', call_id, 'offerToken', token})
cemit('campaign.entry', { campaignId = cid, entryId = pick, status = 'dialing', agentId = agent_id })
cemit('campaign.call', { campaignId = cid, entryId = pick, agentId = agent_id, state = 'agent_ringing', callId = call_id,
  number = e.number, name = e.name, attempt = attempt })
emit_stats(cid)
return {1, pick}
