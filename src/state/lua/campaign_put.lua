-- campaign_put: create a campaign, or change one (name, inboundFirst, outboundPolicy, options, ring/dial timeouts).
-- ARGV: 4 campaignId, 5 mode ('create' | 'update'), 6 JSON of the fields given (validated by the caller),
--       7 JSON array of agent ids to assign (create only; validated by the caller)
-- Result: {1, JSON Campaign} | {0, 'CAMPAIGN_EXISTS'} | {0, 'CAMPAIGN_NOT_FOUND'}
-- Events: campaign.updated {campaignId, campaign}
local id, mode = ARGV[4], ARGV[5]
local f = cjson.decode(ARGV[6])
local exists = redis.call('SISMEMBER', k('campaigns'), id) == 1
if mode == 'create' and exists then return {0, 'CAMPAIGN_EXISTS'} end
if mode == 'update' and not exists then return {0, 'CAMPAIGN_NOT_FOUND'} end
local key = k('campaign', id)
if mode == 'create' then
  redis.call('SADD', k('campaigns'), id)
  redis.call('HSET', key, 'id', id, 'state', 'active', 'inboundFirst', '1', 'options', '{}', 'createdAt', NOW, 'seq', 0,
    'handleMs', 0, 'handledCalls', 0)
  for _, a in ipairs(cjson.decode(ARGV[7] or '[]')) do redis.call('SADD', k('campaign', id, 'agents'), a) end
end
if f.name ~= nil then redis.call('HSET', key, 'name', f.name) end
if f.inboundFirst ~= nil then redis.call('HSET', key, 'inboundFirst', f.inboundFirst and '1' or '0') end
if f.outboundPolicy ~= nil then
  if f.outboundPolicy == cjson.null then redis.call('HSET', key, 'outboundPolicy', '')
  else redis.call('HSET', key, 'outboundPolicy', cjson.encode(f.outboundPolicy)) end
end
if f.options ~= nil then redis.call('HSET', key, 'options', cjson.encode(f.options)) end
if f.ringTimeoutSec ~= nil then redis.call('HSET', key, 'ringTimeoutSec', f.ringTimeoutSec) end
if f.dialTimeoutSec ~= nil then redis.call('HSET', key, 'dialTimeoutSec', f.dialTimeoutSec) end
local v = campaign_view(id)
cemit('campaign.updated', { campaignId = id, campaign = v })
if mode == 'create' then emit_stats(id) end
return {1, fix_arrays(cjson.encode(v))}
