-- Prelude prepended to every transition script (see src/state/scripts.ts). Not a transition itself.
-- Every script gets ARGV[1] = key prefix, ARGV[2] = now (ms since epoch, from the caller so tests
-- can steer time); its own arguments start at ARGV[3].
-- A script declares as KEYS the keys it touches that are known before it runs (the call's, the
-- monitor's, the event stream, the timers), as BullMQ's scripts do; the keys it finds only while
-- running (the agent on a call, that agent's queues and their ready sets) are derived from the
-- prefix, so this targets a single Redis (or Sentinel), not Redis Cluster.
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local function k(...) return P .. table.concat({...}, ':') end
-- The event stream and the timers: a script that declares them as KEYS sets these from KEYS.
local EVENTS = k('events')
local TIMERS = k('timers')

-- The same script that changes state appends the event: state and stream never disagree.
local function emit(type_, data)
  redis.call('XADD', EVENTS, 'MAXLEN', '~', '100000', '*', 'type', type_, 'at', tostring(NOW), 'data', cjson.encode(data))
end

-- key: the agent's hash when the script declared it (KEYS), else derived
local function agent_get(id, key)
  local h = redis.call('HGETALL', key or k('agent', id))
  local a = {}
  for i = 1, #h, 2 do a[h[i]] = h[i + 1] end
  a.state = a.state or 'logged_out'
  return a
end

local function agent_queues(id)
  local qs = redis.call('SMEMBERS', k('agent', id, 'queues'))
  table.sort(qs)   -- events list queues in a stable order
  return qs
end

-- The agent's own pauses (queue -> reason), read once per state change: both the ready sets and
-- the event need them.
local function paused_map(id)
  local h = redis.call('HGETALL', k('agent', id, 'paused'))
  local m = {}
  for i = 1, #h, 2 do m[h[i]] = h[i + 1] end
  return m, #h > 0
end

-- An agent is in a queue's ready set exactly when globally ready, logged in to that queue, not
-- paused in that queue alone, and its phone is reachable and free. The score is the idle-since time: longest-idle reads the lowest.
-- device, queues, paused: the agent's device field, queues and pauses, as the caller read them.
local function ready_sets(id, ready, idle_since, device, queues, paused)
  -- a phone that is unregistered, or busy with a call that is not ours, takes no offers
  if device == 'offline' or device == 'busy' then ready = false end
  for _, q in ipairs(queues) do
    if ready and not paused[q] then
      redis.call('ZADD', k('queue', q, 'ready'), idle_since, id)
    else
      redis.call('ZREM', k('queue', q, 'ready'), id)
    end
  end
end

-- fields: extra hash fields to set (flat list); clear: fields to delete
local function agent_set_state(id, state, reason, fields, clear)
  local args = {k('agent', id), 'state', state, 'since', NOW, 'reason', reason or ''}
  for _, v in ipairs(fields or {}) do args[#args + 1] = v end
  redis.call('HSET', unpack(args))
  if clear and #clear > 0 then redis.call('HDEL', k('agent', id), unpack(clear)) end
  -- the agent, its queues and its pauses read once: after the writes above, for the ready sets and the event
  local a = agent_get(id)
  local queues = agent_queues(id)
  local paused, any_paused = paused_map(id)
  ready_sets(id, state == 'ready', tonumber(a.idleSince) or NOW, a.device, queues, paused)
  emit('agent.state', { agentId = id, state = state, reason = reason or cjson.null, queues = queues, callId = a.callId or cjson.null,
    pausedQueues = any_paused and paused or cjson.null, device = a.device or 'online',
    wrapUpUntil = state == 'wrap_up' and tonumber(a.wrapupUntil) or cjson.null })
end

-- After a call: wrap-up until a deadline (a Redis timer any controller may fire), or ready at once.
-- wrap_ms / max_ms / step_ms from the queue (or the agent's override); 0 means no wrap-up.
local function agent_after_call(id, wrap_ms, max_ms, step_ms, queue_id, clear)
  if wrap_ms > 0 then
    local token = redis.sha1hex(id .. ':' .. NOW)
    redis.call('ZADD', TIMERS, NOW + wrap_ms, 'wrapup|' .. id .. '|' .. token)
    agent_set_state(id, 'wrap_up', nil, {'wrapupToken', token, 'wrapupUntil', NOW + wrap_ms, 'wrapupMax', NOW + math.max(max_ms, wrap_ms),
      'wrapupStep', step_ms, 'wrapupQueue', queue_id, 'lastCallEnd', NOW}, clear)
  else
    agent_set_state(id, 'ready', nil, {'idleSince', NOW, 'lastCallEnd', NOW}, clear)
  end
end

-- The agent is done with this call (it ended, or went on to someone else): one more call today,
-- then wrap-up or ready. ARGV[i], ARGV[i+1], ARGV[i+2] are the wrap-up ms, its maximum and its step.
-- Does nothing when the agent has meanwhile moved on (not on this call any more).
local function agent_call_done(agent_id, call_id, queue_id, i)
  local a = agent_get(agent_id)
  if a.state ~= 'on_call' or a.callId ~= call_id then return end
  redis.call('HINCRBY', k('agent', agent_id), 'callsToday', 1)
  agent_after_call(agent_id, tonumber(ARGV[i]) or 0, tonumber(ARGV[i + 1]) or 0, tonumber(ARGV[i + 2]) or 0, queue_id, {'callId'})
end

-- key: the call's hash when the script declared it (KEYS), else derived
local function call_get(id, key)
  local h = redis.call('HGETALL', key or k('call', id))
  if #h == 0 then return nil end
  local c = {}
  for i = 1, #h, 2 do c[h[i]] = h[i + 1] end
  return c
end

local function position(queue, call_id)
  local r = redis.call('ZRANK', k('queue', queue, 'waiting'), call_id)
  if r then return r + 1 end
  return cjson.null
end

-- Is a queue "empty" for its join/leave policy?  'no': no agent is logged in to it; 'strict': no
-- logged-in agent is available (ready, ringing, on a call or in wrap-up count; paused, paused in
-- this queue, or with an unreachable phone do not); 'yes' (join) or anything else: never empty.
local function queue_empty(queue, mode)
  if mode ~= 'no' and mode ~= 'strict' then return false end
  local agents = redis.call('SMEMBERS', k('queue', queue, 'agents'))
  if mode == 'no' then return #agents == 0 end
  for _, id in ipairs(agents) do
    local a = redis.call('HMGET', k('agent', id), 'state', 'device')
    if a[1] and a[1] ~= 'paused' and a[1] ~= 'logged_out' and a[2] ~= 'offline'
      and redis.call('HEXISTS', k('agent', id, 'paused'), queue) == 0 then
      return false
    end
  end
  return true
end

-- The agents rung together for a ring-all offer (agentId -> their channel id); empty otherwise.
local function ring_legs(c)
  if not c.ringAll or c.ringAll == '' then return {} end
  return cjson.decode(c.ringAll)
end

-- A Redis timer (a member of the timers sorted set) exists and its deadline has passed: the check
-- every transition fired by a timer makes first, so a timer fires once and never early.
local function timer_due(member)
  local due = redis.call('ZSCORE', TIMERS, member)
  return due ~= false and tonumber(due) <= NOW
end

-- How long what is over stays in Redis (seconds), as the controllers configured it (retention_set):
-- finished call and monitor records (default a week), finished callback requests with their attempts
-- (a week), the last agent who served a caller's number in a queue (30 days). Then Redis forgets them.
-- Read when a script first needs it, not in every script: most transitions never do.
local function retention(field, default)
  return tonumber(redis.call('HGET', k('retention'), field) or '') or default
end
local RECORD_TTL_CACHED
local function record_ttl()
  if not RECORD_TTL_CACHED then RECORD_TTL_CACHED = retention('recordSec', 7 * 24 * 3600) end
  return RECORD_TTL_CACHED
end

-- The agent who last served this number in this queue (preferLastAgent), forgotten after the retention.
local function last_agent_set(queue, number, agent)
  if not number or number == '' then return end
  redis.call('SET', k('queue', queue, 'lastagent', number), agent, 'EX', retention('lastAgentSec', 30 * 24 * 3600))
end

-- A callback request is over (completed or cancelled): it leaves the live set for the finished index,
-- where it stays listed and readable for the retention, then its record and attempts expire.
local function callback_finish(id)
  local ttl = retention('callbackSec', 7 * 24 * 3600)
  redis.call('SREM', k('callbacks'), id)
  redis.call('ZREMRANGEBYSCORE', k('callbacks', 'finished'), '-inf', NOW)
  redis.call('ZADD', k('callbacks', 'finished'), NOW + ttl * 1000, id)
  redis.call('PEXPIRE', k('callbacks', 'finished'), ttl * 1000)
  redis.call('EXPIRE', k('call', id), ttl)
  redis.call('EXPIRE', k('call', id, 'attempts'), ttl)
end

-- The call's record ends here (ended, abandoned, overflowed, turned into a callback...): its final
-- state and fields, no longer one of its controller's calls, readable for record_ttl().
-- fields: extra hash fields to set (flat list); key: the call's hash when the script declared it
local function call_close(id, node, state, fields, key)
  key = key or k('call', id)
  local args = {key, 'state', state, 'endedAt', NOW}
  for _, v in ipairs(fields or {}) do args[#args + 1] = v end
  redis.call('HSET', unpack(args))
  redis.call('SREM', k('node', node, 'calls'), id)
  redis.call('EXPIRE', key, record_ttl())
end
