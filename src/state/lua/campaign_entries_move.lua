-- campaign_entries_move: move entries to another campaign, at the end of its list, keeping their status and attempts.
-- ARGV: 4 from campaignId, 5 to campaignId, 6 JSON array of entry ids
-- Result: {1, moved count} | {0, 'CAMPAIGN_NOT_FOUND'} | {0, 'TARGET_CAMPAIGN_NOT_FOUND'} | {0, 'SAME_CAMPAIGN'}
-- Entries not in the source campaign, and entries being dialed, are not moved (not counted).
-- Events: campaign.entry {campaignId (the new one), entryId, status, movedFrom} per entry; campaign.stats of both
local from, to = ARGV[4], ARGV[5]
if redis.call('SISMEMBER', k('campaigns'), from) == 0 then return {0, 'CAMPAIGN_NOT_FOUND'} end
if redis.call('SISMEMBER', k('campaigns'), to) == 0 then return {0, 'TARGET_CAMPAIGN_NOT_FOUND'} end
if from == to then return {0, 'SAME_CAMPAIGN'} end
local moved = 0
for _, eid in ipairs(cjson.decode(ARGV[6])) do
  local e = entry_get(eid)
  if e and e.campaignId == from and e.status ~= 'dialing' then
    redis.call('ZREM', k('campaign', from, 'entries'), eid)
    redis.call('ZREM', k('campaign', from, 'st', e.status), eid)
    local seq = redis.call('HINCRBY', k('campaign', to), 'seq', 1)
    redis.call('HSET', k('centry', eid), 'campaignId', to, 'seq', seq)
    redis.call('ZADD', k('campaign', to, 'entries'), seq, eid)
    redis.call('ZADD', k('campaign', to, 'st', e.status), seq, eid)
    if e.missedCallId and e.missedCallId ~= '' then
      redis.call('SREM', k('missed', e.missedCallId, 'campaigns'), from)
      redis.call('SADD', k('missed', e.missedCallId, 'campaigns'), to)
    end
    cemit('campaign.entry', { campaignId = to, entryId = eid, status = e.status, movedFrom = from })
    moved = moved + 1
  end
end
if moved > 0 then emit_stats(from); emit_stats(to) end
return {1, moved}
