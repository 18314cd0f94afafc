-- registry_delete: remove a queue, agent, user or pause reason definition.
-- Only a logged-out agent can go: log it out first, so no queue membership or ringing offer is left
-- pointing at a deleted agent. A user's tokens and password go with it. A queue goes only when nothing uses it:
-- no agent assigned to it or logged in to it, no caller or callback request waiting in it (or
-- scheduled, ringing, connected, parked), no queue overflowing to it. A deleted queue is remembered
-- so the config file does not bring it back at the next start (registry_put, mode seed); so is a
-- deleted user, and its tokens from the config file (token_issue, mode seed).
-- ARGV: 3 kind (queues | agents | users | pauseReasons), 4 id
-- Result: {1} | {0, 'NOT_FOUND'} | {0, 'AGENT_LOGGED_IN'} | {0, 'QUEUE_IN_USE'}
-- Events: registry.changed {kind, definitionId, change} (not `id`: an event's id is its stream entry id);
--   a user's deletion also token.revoked for each of its tokens
local kind, id = ARGV[3], ARGV[4]
if redis.call('HEXISTS', k('registry', kind), id) == 0 then return {0, 'NOT_FOUND'} end

local function queue_in_use(q)
  if redis.call('SCARD', k('queue', q, 'agents')) > 0 then return true end
  if redis.call('ZCARD', k('queue', q, 'waiting')) > 0 then return true end
  for _, json in ipairs(redis.call('HVALS', k('registry', 'agents'))) do
    for _, assigned in ipairs(cjson.decode(json).queues or {}) do
      if assigned == q then return true end
    end
  end
  for _, json in ipairs(redis.call('HVALS', k('registry', 'queues'))) do
    local other = cjson.decode(json)
    local o = other.overflow
    if other.id ~= q and type(o) == 'table' and o.kind == 'queue' and o.queueId == q then return true end
  end
  for _, cb in ipairs(redis.call('SMEMBERS', k('callbacks'))) do
    local f = redis.call('HMGET', k('call', cb), 'queueId', 'state')
    if f[1] == q and f[2] and f[2] ~= 'completed' and f[2] ~= 'cancelled' then return true end
  end
  for _, call_id in ipairs(redis.call('HVALS', k('parked'))) do
    if redis.call('HGET', k('call', call_id), 'queueId') == q then return true end
  end
  return false
end

if kind == 'agents' then
  if agent_get(id).state ~= 'logged_out' then return {0, 'AGENT_LOGGED_IN'} end
  redis.call('DEL', k('agent', id), k('agent', id, 'queues'))
elseif kind == 'users' then
  -- a deleted user's tokens die with it (each announced, so open sessions on them end)
  local toks = redis.call('HGETALL', k('user', id, 'tokens'))
  for i = 1, #toks, 2 do
    local t = redis.call('HGET', k('tokens'), toks[i + 1])
    if t and cjson.decode(t).seeded then redis.call('SADD', k('tokens', 'revoked'), toks[i]) end
    redis.call('HDEL', k('tokens'), toks[i + 1])
    emit('token.revoked', { userId = id, tokenId = toks[i] })
  end
  redis.call('DEL', k('user', id, 'tokens'))
  redis.call('SADD', k('registry', 'users', 'deleted'), id)
  redis.call('HDEL', k('passwords'), id)
elseif kind == 'queues' then
  if queue_in_use(id) then return {0, 'QUEUE_IN_USE'} end
  redis.call('SADD', k('registry', 'queues', 'deleted'), id)
end
redis.call('HDEL', k('registry', kind), id)
emit('registry.changed', { kind = kind, definitionId = id, change = 'deleted' })
return {1}
