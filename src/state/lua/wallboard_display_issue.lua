-- wallboard_display_issue: a read-only display token for one wallboard (the URL a TV keeps open).
-- Only its SHA-256 is stored. It is not a user token: it reads that wallboard's figures and nothing else.
-- KEYS: 1 wallboards, 2 wallboard:<id>:displays, 3 wallboard:display, 4 events
-- ARGV: 3 wallboardId, 4 tokenId, 5 sha256 of the token, 6 label, 7 by (user id)
-- Result: {1} | {0, 'NOT_FOUND'} | {0, 'EXISTS'}
-- Events: wallboard.display_issued {wallboardId, tokenId, label, by}
local WALLBOARDS, DISPLAYS, DISPLAY = KEYS[1], KEYS[2], KEYS[3]
EVENTS = KEYS[4]
local id, tid, sha, label, by = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if redis.call('HEXISTS', WALLBOARDS, id) == 0 then return {0, 'NOT_FOUND'} end
if redis.call('HEXISTS', DISPLAY, sha) == 1 then return {0, 'EXISTS'} end
redis.call('HSET', DISPLAY, sha, cjson.encode({ wallboardId = id, tokenId = tid, label = label, createdAt = NOW, createdBy = by }))
redis.call('HSET', DISPLAYS, tid, sha)
emit('wallboard.display_issued', { wallboardId = id, tokenId = tid, label = label, by = by })
return {1}
