-- campaign_entries_add: add people to call at the end of a campaign's list (a batch: from the API, a
-- CSV import's chunk, or missed calls).
-- ARGV: 4 campaignId, 5 JSON array of {id, number (normalized), name, details (JSON text), source, missedCallId}
-- Result: {1, JSON {added: [entry ids], refused: [{index (0-based in the batch), code}]}} | {0, 'CAMPAIGN_NOT_FOUND'}
--   refused code: ALREADY_ADDED (this missed call is in the campaign already)
-- Events: one campaign.entries_added {campaignId, count} and campaign.stats (when any was added)
local id = ARGV[4]
if redis.call('SISMEMBER', k('campaigns'), id) == 0 then return {0, 'CAMPAIGN_NOT_FOUND'} end
local added, refused = {}, {}
for i, e in ipairs(cjson.decode(ARGV[5])) do
  if e.missedCallId and e.missedCallId ~= '' and redis.call('SISMEMBER', k('missed', e.missedCallId, 'campaigns'), id) == 1 then
    refused[#refused + 1] = { index = i - 1, code = 'ALREADY_ADDED' }
  else
    local seq = redis.call('HINCRBY', k('campaign', id), 'seq', 1)
    redis.call('HSET', k('centry', e.id), 'id', e.id, 'campaignId', id, 'number', e.number, 'name', e.name or '',
      'details', e.details or '{}', 'status', 'waiting', 'source', e.source, 'missedCallId', e.missedCallId or '',
      'addedAt', NOW, 'attempts', 0, 'seq', seq)
    redis.call('ZADD', k('campaign', id, 'entries'), seq, e.id)
    redis.call('ZADD', k('campaign', id, 'st', 'waiting'), seq, e.id)
    if e.missedCallId and e.missedCallId ~= '' then
      redis.call('SADD', k('missed', e.missedCallId, 'campaigns'), id)
      redis.call('EXPIRE', k('missed', e.missedCallId, 'campaigns'), 400 * 86400)
    end
    added[#added + 1] = e.id
  end
end
if #added > 0 then
  cemit('campaign.entries_added', { campaignId = id, count = #added })
  emit_stats(id)
end
return {1, fix_arrays(cjson.encode({ added = added, refused = refused }))}
