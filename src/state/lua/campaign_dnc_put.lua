-- campaign_dnc_put: replace the do-not-call list (normalized numbers), checked at dial time by campaigns with the doNotCall option.
-- ARGV: 4 JSON array of numbers (normalized by the caller)
-- Result: {1, count}
-- Events: campaign.dnc_updated {count}
local key = k('campaigns', 'dnc')
redis.call('DEL', key)
local numbers = cjson.decode(ARGV[4])
for i = 1, #numbers, 1000 do
  redis.call('SADD', key, unpack(numbers, i, math.min(i + 999, #numbers)))
end
cemit('campaign.dnc_updated', { count = #numbers })
return {1, #numbers}
