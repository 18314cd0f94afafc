-- wallboard_put: create or replace a wallboard (name, description, widgets), stored as JSON.
-- Shared by all controllers; the display tokens of a replaced wallboard stay valid.
-- KEYS: 1 wallboards, 2 events
-- ARGV: 3 wallboardId, 4 wallboard JSON (validated by the caller), 5 mode (create | replace), 6 by (user id)
-- Result: {1} | {0, 'EXISTS'} (create) | {0, 'NOT_FOUND'} (replace)
-- Events: wallboard.changed {wallboardId, change = created | updated, by}
local WALLBOARDS = KEYS[1]
EVENTS = KEYS[2]
local id, json, mode, by = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local exists = redis.call('HEXISTS', WALLBOARDS, id) == 1
if mode == 'create' and exists then return {0, 'EXISTS'} end
if mode == 'replace' and not exists then return {0, 'NOT_FOUND'} end
redis.call('HSET', WALLBOARDS, id, json)
emit('wallboard.changed', { wallboardId = id, change = mode == 'create' and 'created' or 'updated', by = by })
return {1}
