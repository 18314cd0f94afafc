-- campaign_lib: prelude of the campaign transitions (prepended after _lib.lua by src/state/campaignStore.ts).
-- Not a transition itself. Every campaign script gets ARGV[3] = the first instant of today (ms, in the
-- contact center's time zone: Lua has no time-zone data), its own arguments from ARGV[4].
-- Keys: campaigns (set of ids); campaign:<id> (hash); campaign:<id>:agents (assigned set);
-- campaign:<id>:login (agent -> login time); campaign:<id>:paused (agent -> reason);
-- campaign:<id>:entries (zset entry -> dial order); campaign:<id>:st:<status> (zset per status, same score);
-- campaign:<id>:calls (zset of attempts by dial time: calls today); centry:<entryId> (hash);
-- agent:<id>:campaigns (the campaigns an agent is logged in to); missed:<callId>:campaigns (campaigns a
-- missed call was added to).
local TODAY = tonumber(ARGV[3]) or 0
local STATUSES = {'waiting', 'dialing', 'handled', 'not_completed'}

-- ms since epoch -> ISO 8601 UTC text (the API's time format), by the civil-from-days algorithm.
local function iso(ms)
  ms = tonumber(ms)
  if not ms then return cjson.null end
  local secs = math.floor(ms / 1000)
  local days = math.floor(secs / 86400)
  local rem = secs - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, math.floor(rem / 3600), math.floor(rem % 3600 / 60), rem % 60, ms % 1000)
end

-- Redis's cjson encodes an empty table as {}: the API's arrays (agents, added, refused) are put right.
local function fix_arrays(s)
  for _, f in ipairs({'agents', 'added', 'refused'}) do s = s:gsub('"' .. f .. '":{}', '"' .. f .. '":[]') end
  return s
end

-- emit (see _lib.lua) for campaign events, with their empty arrays as arrays.
local function cemit(type_, data)
  redis.call('XADD', k('events'), 'MAXLEN', '~', '100000', '*', 'type', type_, 'at', tostring(NOW), 'data', fix_arrays(cjson.encode(data)))
end

local function hash_get(key)
  local h = redis.call('HGETALL', key)
  if #h == 0 then return nil end
  local t = {}
  for i = 1, #h, 2 do t[h[i]] = h[i + 1] end
  return t
end

local function campaign_get(id) return hash_get(k('campaign', id)) end
local function entry_get(id) return hash_get(k('centry', id)) end

local function json_or(v, default)
  if not v or v == '' then return default end
  return cjson.decode(v)
end

-- The campaign as the API shows it (Campaign in docs/campaigns-api.md).
local function campaign_view(id)
  local c = campaign_get(id)
  if not c then return nil end
  local agents = redis.call('SMEMBERS', k('campaign', id, 'agents'))
  table.sort(agents)
  local v = { id = id, name = c.name, state = c.state, agents = agents, inboundFirst = c.inboundFirst ~= '0',
    options = json_or(c.options, {}), createdAt = iso(c.createdAt),
    ringTimeoutSec = tonumber(c.ringTimeoutSec) or 20, dialTimeoutSec = tonumber(c.dialTimeoutSec) or 30 }
  if c.outboundPolicy and c.outboundPolicy ~= '' then v.outboundPolicy = cjson.decode(c.outboundPolicy) end
  return v
end

local function campaign_stats(id)
  local c = campaign_get(id) or {}
  local by = {}
  local total = 0
  for _, s in ipairs(STATUSES) do
    by[s] = redis.call('ZCARD', k('campaign', id, 'st', s))
    total = total + by[s]
  end
  local handled = tonumber(c.handledCalls) or 0
  local avg = 0
  if handled > 0 then avg = math.floor((tonumber(c.handleMs) or 0) / handled / 1000 + 0.5) end
  local pct = 0
  if total > 0 then pct = math.floor((total - by.waiting) * 1000 / total + 0.5) / 10 end
  return { campaignId = id, total = total, notDialed = by.waiting, percentDialed = pct,
    agentsLoggedIn = redis.call('HLEN', k('campaign', id, 'login')), avgHandleSec = avg,
    callsToday = redis.call('ZCOUNT', k('campaign', id, 'calls'), TODAY, '+inf'), byStatus = by }
end

local function emit_stats(id) emit('campaign.stats', { campaignId = id, stats = campaign_stats(id) }) end

local function campaign_agent_view(id, agent_id)
  local login = redis.call('HEXISTS', k('campaign', id, 'login'), agent_id) == 1
  local reason = redis.call('HGET', k('campaign', id, 'paused'), agent_id)
  local v = { campaignId = id, agentId = agent_id, loggedIn = login, paused = reason ~= false }
  if reason then v.pauseReason = reason end
  return v
end

-- An entry changes status: its per-status index follows.
local function entry_status(entry_id, campaign_id, from, to, seq)
  if from and from ~= '' then redis.call('ZREM', k('campaign', campaign_id, 'st', from), entry_id) end
  if to then redis.call('ZADD', k('campaign', campaign_id, 'st', to), seq, entry_id) end
  redis.call('HSET', k('centry', entry_id), 'status', to)
end

-- An entry leaves its campaign (deleted, or its campaign deleted).
local function entry_remove(e)
  redis.call('ZREM', k('campaign', e.campaignId, 'entries'), e.id)
  redis.call('ZREM', k('campaign', e.campaignId, 'st', e.status), e.id)
  if e.missedCallId and e.missedCallId ~= '' then redis.call('SREM', k('missed', e.missedCallId, 'campaigns'), e.campaignId) end
  redis.call('DEL', k('centry', e.id))
end

-- The agent logs out of a campaign (also when removed from it, or the campaign deleted). An agent
-- in no queue and no campaign any more, and not on a call, is logged out altogether.
local function campaign_logout(id, agent_id)
  local was = redis.call('HDEL', k('campaign', id, 'login'), agent_id) == 1
  redis.call('HDEL', k('campaign', id, 'paused'), agent_id)
  redis.call('SREM', k('agent', agent_id, 'campaigns'), id)
  if not was then return false end
  local a = agent_get(agent_id)
  if redis.call('SCARD', k('agent', agent_id, 'queues')) == 0 and redis.call('SCARD', k('agent', agent_id, 'campaigns')) == 0
    and (a.state == 'ready' or a.state == 'paused' or a.state == 'wrap_up') then
    if a.wrapupToken then redis.call('ZREM', k('timers'), 'wrapup|' .. agent_id .. '|' .. a.wrapupToken) end
    agent_set_state(agent_id, 'logged_out', nil, {}, {'idleSince', 'loginAt', 'wrapupToken', 'wrapupUntil', 'wrapupMax', 'wrapupStep', 'wrapupQueue'})
  end
  return true
end
