-- registry_put: create or replace a definition: a queue, agent, user, pause reason, or the
-- organisation settings (kind settings, one entry).
-- ARGV: 3 kind (queues | agents | users | pauseReasons | settings), 4 id, 5 JSON definition, 6 mode (create | replace | seed)
-- Result: {1, 'created'|'updated'} | {0, 'EXISTS'} (create of an existing id) | {0, 'KEPT'} (seed: already there)
--   queues and users: {0, 'DELETED'} (seed of one deleted through the API: it stays deleted)
--              | {0, 'EXTENSION_TAKEN'} (another queue has that extension: a call could not tell them apart)
--              | {0, 'OVERFLOW_UNKNOWN'} (create or replace: overflow to itself or to a queue that does not exist)
-- Events: registry.changed {kind, definitionId, change} (not `id`: an event's id is its stream entry id)
-- The API validates the same before calling; checking here too keeps two controllers changing queues
-- at once from leaving two queues on one extension or an overflow pointing nowhere.
local kind, id, json, mode = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local exists = redis.call('HEXISTS', k('registry', kind), id) == 1
if exists and mode == 'create' then return {0, 'EXISTS'} end
if exists and mode == 'seed' then return {0, 'KEPT'} end
if kind == 'queues' then
  if mode == 'seed' and redis.call('SISMEMBER', k('registry', 'queues', 'deleted'), id) == 1 then return {0, 'DELETED'} end
  local q = cjson.decode(json)
  -- the config file's queues may overflow to each other in any order (the file was checked as a whole)
  local o = q.overflow
  if mode ~= 'seed' and type(o) == 'table' and o.kind == 'queue'
    and (o.queueId == id or redis.call('HEXISTS', k('registry', 'queues'), o.queueId) == 0) then
    return {0, 'OVERFLOW_UNKNOWN'}
  end
  local all = redis.call('HGETALL', k('registry', 'queues'))
  for i = 1, #all, 2 do
    if all[i] ~= id and cjson.decode(all[i + 1]).extension == q.extension then return {0, 'EXTENSION_TAKEN'} end
  end
  redis.call('SREM', k('registry', 'queues', 'deleted'), id)
end
if kind == 'users' then
  if mode == 'seed' and redis.call('SISMEMBER', k('registry', 'users', 'deleted'), id) == 1 then return {0, 'DELETED'} end
  redis.call('SREM', k('registry', 'users', 'deleted'), id)
end
redis.call('HSET', k('registry', kind), id, json)
emit('registry.changed', { kind = kind, definitionId = id, change = exists and 'updated' or 'created' })
return {1, exists and 'updated' or 'created'}
