-- call_disposition: the agent records the outcome of a call (during or after it): a disposition from
-- the queue's list, tags and notes, kept with the call record.
-- KEYS: 1 call:<callId>, 2 events
-- ARGV: 3 callId, 4 disposition ('' for none), 5 JSON array of tags, 6 notes, 7 userId
-- Result: {1} | {0, 'NOT_FOUND'} | {0, 'NOT_ANSWERED'}
-- Events: call.disposition
local CALL = KEYS[1]
EVENTS = KEYS[2]
local id = ARGV[3]
local c = call_get(id, CALL)
if not c then return {0, 'NOT_FOUND'} end
if not c.answeredAt then return {0, 'NOT_ANSWERED'} end
redis.call('HSET', CALL, 'disposition', ARGV[4], 'tags', ARGV[5], 'notes', ARGV[6], 'dispositionBy', ARGV[7], 'dispositionAt', NOW)
emit('call.disposition', { callId = id, queueId = c.queueId, agentId = c.agentId or cjson.null, disposition = ARGV[4],
  tags = cjson.decode(ARGV[5]), by = ARGV[7] })
return {1}
