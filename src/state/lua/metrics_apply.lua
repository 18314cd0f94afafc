-- metrics_apply: fold the event stream into the real-time metrics, in stream order, every entry
-- exactly once. A cursor (the last applied stream id) is what makes it exactly once: a call applies
-- the entries after the cursor up to `upTo` and moves the cursor, so an entry at or before it is
-- never applied again, whether it is redelivered, claimed from a dead consumer, or raced by another
-- controller. Applying in order (rather than each consumer its own entries) matters: the wrap-up
-- that follows a call belongs to that call.
-- ARGV: 3 upTo stream id ('+': the end of the stream),
--       4 JSON day table [[startMs, 'YYYY-MM-DD'], ..., [endMs, '']] of the configured time zone,
--         ascending (events outside it are not aggregated: too old to keep, or a skewed clock),
--       5 the most entries to apply in this call,
--       6 JSON array of stream ids to XACK in group 'metrics' (those delivered to the caller;
--         only ids at or before the cursor are acknowledged)
-- Result: {1, applied, cursor, more} (more '1': entries up to upTo remain, call again)
-- Events: none (the WebSocket hub pushes metrics.queue itself; metrics never enter the stream)
-- Keys: metrics:cursor; metrics:queue:<q>:<day> and metrics:agent:<a>:<day> (day aggregates, kept
--   3 days past the day's end); metrics:agent:<a> (the agent's state as metrics last saw it, and
--   the handled call awaiting its wrap-up); metrics:answered:<callId> (a call counts answered once)
local up_to, days, max = ARGV[3], cjson.decode(ARGV[4]), tonumber(ARGV[5])
local acks = cjson.decode(ARGV[6])
local KEEP_MS = 3 * 86400000
-- marks (a call counted answered once) live as long as the call's record: the retention of records,
-- record_ttl() (read once, and only by a batch that needs it)

local function id_parts(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function id_le(a, b)
  local am, as = id_parts(a)
  local bm, bs = id_parts(b)
  return am < bm or (am == bm and as <= bs)
end

-- index i of the day holding `at` (days[i][1] <= at < days[i+1][1]), or nil outside the table
local function day_index(at)
  for i = #days - 1, 1, -1 do
    if at >= days[i][1] then
      if at < days[i + 1][1] then return i end
      return nil
    end
  end
  return nil
end

-- add to a day aggregate: field, n, field, n, ...; the key lives until 3 days after the day ends
local function add(key, day_end, ...)
  local args = {...}
  for i = 1, #args, 2 do
    if args[i + 1] ~= 0 then redis.call('HINCRBY', key, args[i], args[i + 1]) end
  end
  redis.call('PEXPIREAT', key, day_end + KEEP_MS)
end
local function queue_add(q, i, ...) add(k('metrics', 'queue', q, days[i][2]), days[i + 1][1], ...) end
local function agent_add(a, i, ...) add(k('metrics', 'agent', a, days[i][2]), days[i + 1][1], ...) end

-- time in a state is split at midnight: each day gets its own part
local function agent_span(a, field, from, to)
  for i = 1, #days - 1 do
    local part = math.min(to, days[i + 1][1]) - math.max(from, days[i][1])
    if part > 0 then agent_add(a, i, field, part) end
  end
end

-- the queue's service-level threshold (ms) as configured now; read once per call of this script
local sl_cache = {}
local function sl_ms(q)
  if not sl_cache[q] then
    local sec = 20
    local def = redis.call('HGET', k('registry', 'queues'), q)
    if def then
      local ok, v = pcall(cjson.decode, def)
      if ok and type(v) == 'table' and tonumber(v.serviceLevelSec) then sec = tonumber(v.serviceLevelSec) end
    end
    sl_cache[q] = sec * 1000
  end
  return sl_cache[q]
end

local function hash(key)
  local h = redis.call('HGETALL', key)
  local t = {}
  for i = 1, #h, 2 do t[h[i]] = h[i + 1] end
  return t
end

-- A handled call's handle time is complete when the agent leaves the wrap-up that followed it
-- (or at once when none followed): talk + wrap-up, counted on the day the call ended.
local function finish_handling(a, t, at)
  local wrap = t.wrapFrom and (at - tonumber(t.wrapFrom)) or 0
  local talk = tonumber(t.pendTalk)
  add(k('metrics', 'queue', t.pendQueue, t.pendDay), tonumber(t.pendDayEnd), 'handleCompleted', 1, 'handleMs', talk + wrap, 'wrapUpMs', wrap)
  redis.call('HDEL', k('metrics', 'agent', a), 'pendQueue', 'pendDay', 'pendDayEnd', 'pendTalk', 'wrapFrom')
end

-- time in these states is summed per agent and day
local SPAN = { on_call = 'talkMs', paused = 'pauseMs', wrap_up = 'wrapUpMs' }

local function agent_state(a, state, at)
  local key = k('metrics', 'agent', a)
  local t = hash(key)
  if t.state ~= state then
    if t.state and SPAN[t.state] then agent_span(a, SPAN[t.state], tonumber(t.since), at) end
    redis.call('HSET', key, 'state', state, 'since', at)
  end
  if t.pendQueue then
    if state == 'wrap_up' then
      if not t.wrapFrom then redis.call('HSET', key, 'wrapFrom', at) end
    else
      finish_handling(a, t, at)
    end
  end
  redis.call('PEXPIRE', key, record_ttl() * 1000)
end

local function agent_handled(a, i)
  if a and a ~= cjson.null and i then agent_add(a, i, 'handled', 1) end
end

local function apply(type_, at, d)
  local i = day_index(at)
  if type_ == 'agent.state' then
    agent_state(d.agentId, d.state, at)
    return
  end
  if not i then return end
  local q = d.queueId
  if type_ == 'call.answered' then
    -- a callback's agent answering is not a caller answered; a call answered again after a
    -- transfer or a park was answered already
    if d.kind == 'callback' then return end
    if not redis.call('SET', k('metrics', 'answered', d.callId), '1', 'PX', record_ttl() * 1000, 'NX') then return end
    local wait = tonumber(d.waitMs)
    queue_add(q, i, 'answered', 1, 'answerWaitMs', wait, 'answeredWithinSl', wait <= sl_ms(q) and 1 or 0)
  elseif type_ == 'call.abandoned' then
    -- a caller who hangs up after being answered (parked, or transferred back to a queue) was answered
    if redis.call('EXISTS', k('metrics', 'answered', d.callId)) == 1 then return end
    local wait = tonumber(d.waitMs)
    queue_add(q, i, 'abandoned', 1, 'abandonWaitMs', wait, 'abandonedWithinSl', wait <= sl_ms(q) and 1 or 0)
  elseif type_ == 'call.callback_requested' then
    queue_add(q, i, 'callbackRequests', 1)
  elseif type_ == 'call.overflowed' then
    -- a caller who waited the queue's maximum has timed out (wherever it went next); one the queue
    -- would not take (full, empty) has overflowed
    queue_add(q, i, d.reason == 'timeout' and 'timedOut' or 'overflowed', 1)
  elseif type_ == 'call.ended' then
    local talk = tonumber(d.talkMs)
    queue_add(q, i, 'handled', 1, 'talkMs', talk)
    agent_handled(d.agentId, i)
    local key = k('metrics', 'agent', d.agentId)
    local t = hash(key)
    if t.pendQueue then finish_handling(d.agentId, t, at) end
    -- the agent.state that follows (wrap_up, or ready) completes this call's handle time
    redis.call('HSET', key, 'pendQueue', q, 'pendDay', days[i][2], 'pendDayEnd', days[i + 1][1], 'pendTalk', talk)
    redis.call('PEXPIRE', key, record_ttl() * 1000)
  elseif type_ == 'call.transferred' then
    agent_handled(d.fromAgentId, i)
  elseif type_ == 'call.parked' then
    agent_handled(d.by, i)
  elseif type_ == 'callback.attempted' then
    agent_handled(d.agentId, i)
  end
end

local cursor = redis.call('GET', k('metrics', 'cursor')) or '0-0'
local entries = redis.call('XRANGE', k('events'), '(' .. cursor, up_to, 'COUNT', max)
for _, e in ipairs(entries) do
  local f = {}
  for j = 1, #e[2], 2 do f[e[2][j]] = e[2][j + 1] end
  local ok, d = pcall(cjson.decode, f.data or '{}')
  if ok and type(d) == 'table' then apply(f.type, tonumber(f.at), d) end
  cursor = e[1]
end
local more = #entries == max
-- the range is exhausted: nothing at or before upTo is left (ids of trimmed entries included)
if not more and up_to ~= '+' and not id_le(up_to, cursor) then cursor = up_to end
redis.call('SET', k('metrics', 'cursor'), cursor)
-- one XACK for all of them (a batch is at most a few hundred ids: within unpack's limit)
local done = {}
for _, id in ipairs(acks) do
  if id_le(id, cursor) then done[#done + 1] = id end
end
if #done > 0 then redis.call('XACK', k('events'), 'metrics', unpack(done)) end
return {1, #entries, cursor, more and '1' or '0'}
