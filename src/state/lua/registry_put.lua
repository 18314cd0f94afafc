-- registry_put: create or replace a queue or agent definition.
-- ARGV: 3 kind (queues | agents | users), 4 id, 5 JSON definition, 6 mode (create | replace | seed)
-- Result: {1, 'created'|'updated'} | {0, 'EXISTS'} (create of an existing id) | {0, 'KEPT'} (seed: already there)
-- Events: registry.changed
local kind, id, json, mode = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local exists = redis.call('HEXISTS', k('registry', kind), id) == 1
if exists and mode == 'create' then return {0, 'EXISTS'} end
if exists and mode == 'seed' then return {0, 'KEPT'} end
redis.call('HSET', k('registry', kind), id, json)
emit('registry.changed', { kind = kind, id = id, change = exists and 'updated' or 'created' })
return {1, exists and 'updated' or 'created'}
