-- campaign_entries_delete: delete entries of a campaign (one or many).
-- ARGV: 4 campaignId, 5 JSON array of entry ids
-- Result: {1, deleted count} | {0, 'CAMPAIGN_NOT_FOUND'}
-- Entries not in this campaign, and entries being dialed, are not deleted (not counted).
-- Events: campaign.entry {campaignId, entryId, status: 'deleted'} per entry; campaign.stats
local id = ARGV[4]
if redis.call('SISMEMBER', k('campaigns'), id) == 0 then return {0, 'CAMPAIGN_NOT_FOUND'} end
local n = 0
for _, eid in ipairs(cjson.decode(ARGV[5])) do
  local e = entry_get(eid)
  if e and e.campaignId == id and e.status ~= 'dialing' then
    entry_remove(e)
    cemit('campaign.entry', { campaignId = id, entryId = eid, status = 'deleted' })
    n = n + 1
  end
end
if n > 0 then emit_stats(id) end
return {1, n}
