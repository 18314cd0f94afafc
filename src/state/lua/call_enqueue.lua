-- call_enqueue: a caller joins a queue, ordered by its virtual enqueue time (arrival time for now).
-- ARGV: 3 callId, 4 queueId, 5 nodeId, 6 callerNumber, 7 callerName, 8 channelId
-- Result: {1, position} | {0, 'CALL_EXISTS'}
-- Events: call.queued
local id, queue, node = ARGV[3], ARGV[4], ARGV[5]
if redis.call('EXISTS', k('call', id)) == 1 then return {0, 'CALL_EXISTS'} end
redis.call('HSET', k('call', id), 'id', id, 'queueId', queue, 'node', node, 'state', 'waiting',
  'callerNumber', ARGV[6], 'callerName', ARGV[7], 'channelId', ARGV[8], 'enqueuedAt', NOW, 'vtime', NOW)
redis.call('ZADD', k('queue', queue, 'waiting'), NOW, id)
redis.call('SADD', k('node', node, 'calls'), id)
local pos = position(queue, id)
emit('call.queued', { callId = id, queueId = queue, callerNumber = ARGV[6], callerName = ARGV[7], position = pos })
return {1, pos}
