-- wallboard_display_issue: a read-only display token for one wallboard (the URL a TV keeps open).
-- Only its SHA-256 is stored. It is not a user token: it reads that wallboard's figures and nothing else.
-- ARGV: 3 wallboardId, 4 tokenId, 5 sha256 of the token, 6 label, 7 by (user id)
-- Result: {1} | {0, 'NOT_FOUND'} | {0, 'EXISTS'}
-- Events: wallboard.display_issued {wallboardId, tokenId, label, by}
local id, tid, sha, label, by = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if redis.call('HEXISTS', k('wallboards'), id) == 0 then return {0, 'NOT_FOUND'} end
if redis.call('HEXISTS', k('wallboard', 'display'), sha) == 1 then return {0, 'EXISTS'} end
redis.call('HSET', k('wallboard', 'display'), sha, cjson.encode({ wallboardId = id, tokenId = tid, label = label, createdAt = NOW, createdBy = by }))
redis.call('HSET', k('wallboard', id, 'displays'), tid, sha)
emit('wallboard.display_issued', { wallboardId = id, tokenId = tid, label = label, by = by })
return {1}
