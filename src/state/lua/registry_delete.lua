-- registry_delete: remove an agent or user definition. Only a logged-out agent can go: log it out
-- first, so no queue membership or ringing offer is left pointing at a deleted agent. A user's
-- tokens go with it.
-- ARGV: 3 kind (agents | users), 4 id
-- Result: {1} | {0, 'NOT_FOUND'} | {0, 'AGENT_LOGGED_IN'}
-- Events: registry.changed
local kind, id = ARGV[3], ARGV[4]
if redis.call('HEXISTS', k('registry', kind), id) == 0 then return {0, 'NOT_FOUND'} end
if kind == 'agents' then
  if agent_get(id).state ~= 'logged_out' then return {0, 'AGENT_LOGGED_IN'} end
  redis.call('DEL', k('agent', id), k('agent', id, 'queues'))
elseif kind == 'users' then
  -- a deleted user's tokens die with it
  for _, sha in ipairs(redis.call('HVALS', k('user', id, 'tokens'))) do redis.call('HDEL', k('tokens'), sha) end
  redis.call('DEL', k('user', id, 'tokens'))
end
redis.call('HDEL', k('registry', kind), id)
emit('registry.changed', { kind = kind, id = id, change = 'deleted' })
return {1}
