-- call_party: a third party joins or leaves a connected call (three-way call / conference).
-- KEYS: 1 call:<callId>, 2 call:<callId>:parties, 3 events
-- ARGV: 3 callId, 4 partyId, 5 'join' | 'leave', 6 target (extension or agent id), 7 userId
-- Result: {1} | {0, 'NOT_CONNECTED'} | {0, 'NOT_A_PARTY'}
-- Events: call.party_joined | call.party_left
local CALL, PARTIES = KEYS[1], KEYS[2]
EVENTS = KEYS[3]
local id, party, what = ARGV[3], ARGV[4], ARGV[5]
local c = call_get(id, CALL)
if what == 'join' then
  if not c or c.state ~= 'connected' then return {0, 'NOT_CONNECTED'} end
  redis.call('HSET', PARTIES, party, cjson.encode({ target = ARGV[6], joinedAt = NOW, by = ARGV[7] }))
  emit('call.party_joined', { callId = id, queueId = c.queueId, partyId = party, target = ARGV[6], by = ARGV[7] })
  return {1}
end
if redis.call('HDEL', PARTIES, party) == 0 then return {0, 'NOT_A_PARTY'} end
emit('call.party_left', { callId = id, queueId = c and c.queueId or cjson.null, partyId = party, target = ARGV[6] })
return {1}
