-- campaign_dial_end: a campaign call is over.
-- ARGV: 4 entryId, 5 token, 6 outcome (answered | no_answer | busy | failed | refused; before the agent
--   answered: agent_no_answer | lost | deferred (the entry waits again) or refused | skipped (resolved, never dialed)), 7 talk ms, 8 wrap-up ms, 9 its maximum, 10 its step,
--   11 retry after ms (-1: no retry; the caller applies the campaign's retry rules), 12 campaign pause
--   reason for an agent who did not answer ('' none), 13 '1' when fired by the ring deadline timer
-- Result: {1, the entry's new status} | {0, 'STALE'} (not the entry's current call, or the timer is not due / no longer applies)
-- Events: campaign.entry, campaign.call(ended, with outcome and times: what the history keeps),
--   agent.state (ready, or wrap-up), campaign.agent (paused for not answering), campaign.stats
-- An agent who never answered: the customer was never dialed, so the entry waits again as it was
-- (this attempt not counted). Otherwise the agent answered and the system tried: the entry is
-- resolved — handled when the customer answered, not completed when not — unless a retry rule
-- puts it back (waiting, due after the delay).
local eid, token, outcome = ARGV[4], ARGV[5], ARGV[6]
local talk_ms, wrap_ms, wrap_max, wrap_step = tonumber(ARGV[7]) or 0, tonumber(ARGV[8]) or 0, tonumber(ARGV[9]) or 0, tonumber(ARGV[10]) or 0
local retry_ms, pause_reason, from_timer = tonumber(ARGV[11]) or -1, ARGV[12] or '', ARGV[13] == '1'
local e = entry_get(eid)
if not e or e.status ~= 'dialing' or e.token ~= token then return {0, 'STALE'} end
local timer = 'campaign|' .. eid .. '|' .. token
if from_timer and (e.callState ~= 'agent_ringing' or not timer_due(timer)) then return {0, 'STALE'} end
redis.call('ZREM', k('timers'), timer)
local cid, agent_id = e.campaignId, e.agentId
local a = agent_get(agent_id)
local base = { campaignId = cid, entryId = eid, agentId = agent_id, state = 'ended', callId = e.callId, outcome = outcome,
  number = e.number, name = e.name, attempt = tonumber(e.attempts), dialedAt = tonumber(e.dialedAt),
  agentAnsweredAt = tonumber(e.agentAnsweredAt) or cjson.null, connectedAt = tonumber(e.connectedAt) or cjson.null, talkMs = talk_ms }
-- not dialed after all (refused before the agent's phone was answered: the destination policy,
-- the do-not-call list, a number answered since): resolved without the agent, who is ready again
if e.callState == 'agent_ringing' and (outcome == 'refused' or outcome == 'skipped') then
  entry_status(eid, cid, 'dialing', 'not_completed', tonumber(e.seq))
  redis.call('HSET', k('centry', eid), 'lastOutcome', outcome, 'resolvedAt', NOW)
  redis.call('HDEL', k('centry', eid), 'token', 'callState', 'node', 'callId')
  redis.call('ZREM', k('campaign', cid, 'calls'), eid .. ':' .. (tonumber(e.attempts) or 1))
  if a.state == 'reserved' and a.callId == e.callId then agent_set_state(agent_id, 'ready', nil, {}, {'callId', 'offerToken'}) end
  base.agentAnswered = false
  base.status = 'not_completed'
  cemit('campaign.entry', { campaignId = cid, entryId = eid, status = 'not_completed', lastOutcome = outcome })
  cemit('campaign.call', base)
  emit_stats(cid)
  return {1, 'not_completed'}
end
if e.callState == 'agent_ringing' then
  local attempts = math.max(0, (tonumber(e.attempts) or 1) - 1)
  entry_status(eid, cid, 'dialing', 'waiting', tonumber(e.seq))
  redis.call('HSET', k('centry', eid), 'attempts', attempts)
  redis.call('HDEL', k('centry', eid), 'token', 'callState', 'node', 'callId', 'agentId', 'dialedAt')
  -- deferred (outside calling hours, or already tried today): due again after the delay
  if retry_ms >= 0 then redis.call('HSET', k('centry', eid), 'dueAt', NOW + retry_ms) end
  redis.call('ZREM', k('campaign', cid, 'calls'), eid .. ':' .. (tonumber(e.attempts) or 1))
  if a.state == 'reserved' and a.callId == e.callId then agent_set_state(agent_id, 'ready', nil, {}, {'callId', 'offerToken'}) end
  if pause_reason ~= '' and redis.call('HEXISTS', k('campaign', cid, 'login'), agent_id) == 1 then
    redis.call('HSET', k('campaign', cid, 'paused'), agent_id, pause_reason)
    cemit('campaign.agent', campaign_agent_view(cid, agent_id))
  end
  base.agentAnswered = false
  cemit('campaign.entry', { campaignId = cid, entryId = eid, status = 'waiting' })
  cemit('campaign.call', base)
  emit_stats(cid)
  return {1, 'waiting'}
end
local status
if retry_ms >= 0 then status = 'waiting'
elseif outcome == 'answered' then status = 'handled'
else status = 'not_completed' end
entry_status(eid, cid, 'dialing', status, tonumber(e.seq))
redis.call('HSET', k('centry', eid), 'lastOutcome', outcome)
redis.call('HDEL', k('centry', eid), 'token', 'callState', 'node', 'callId')
if status == 'waiting' then redis.call('HSET', k('centry', eid), 'dueAt', NOW + retry_ms)
else redis.call('HSET', k('centry', eid), 'resolvedAt', NOW) end
if outcome == 'answered' then
  redis.call('HINCRBY', k('campaign', cid), 'handleMs', talk_ms + wrap_ms)
  redis.call('HINCRBY', k('campaign', cid), 'handledCalls', 1)
end
if (a.state == 'on_call' or a.state == 'reserved') and a.callId == e.callId then
  redis.call('HINCRBY', k('agent', agent_id), 'callsToday', 1)
  agent_after_call(agent_id, wrap_ms, wrap_max, wrap_step, '', {'callId', 'offerToken'})
end
base.agentAnswered = true
base.handleMs = talk_ms + (outcome == 'answered' and wrap_ms or 0)
base.status = status
cemit('campaign.entry', { campaignId = cid, entryId = eid, status = status, lastOutcome = outcome, agentId = agent_id })
cemit('campaign.call', base)
emit_stats(cid)
return {1, status}
