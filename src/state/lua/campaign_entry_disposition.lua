-- campaign_entry_disposition: the agent (or a supervisor) records how a campaign call went, during its
-- wrap-up or later: a disposition and notes, kept with the entry (and its last attempt in the history).
-- ARGV: 4 entryId, 5 disposition ('' for none), 6 notes, 7 userId
-- Result: {1} | {0, 'ENTRY_NOT_FOUND'} | {0, 'ENTRY_NOT_DIALED'} (no agent has answered a call for it yet)
-- Events: campaign.entry {campaignId, entryId, status, disposition, agentId, attempt}
local eid = ARGV[4]
local e = entry_get(eid)
if not e then return {0, 'ENTRY_NOT_FOUND'} end
if (tonumber(e.attempts) or 0) == 0 or not e.agentId or e.agentId == '' then return {0, 'ENTRY_NOT_DIALED'} end
redis.call('HSET', k('centry', eid), 'disposition', ARGV[5], 'notes', ARGV[6], 'dispositionBy', ARGV[7], 'dispositionAt', NOW)
cemit('campaign.entry', { campaignId = e.campaignId, entryId = eid, status = e.status, disposition = ARGV[5], notes = ARGV[6],
  agentId = e.agentId, attempt = tonumber(e.attempts), by = ARGV[7] })
return {1}
