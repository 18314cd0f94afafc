-- call_enqueue: a caller joins a queue, ordered by its virtual enqueue time: the arrival time,
-- earlier by priority × the queue's priority step (a priority caller counts as having waited longer).
-- The queue's admission policies are checked in the same step, so two controllers cannot both
-- admit the last free place.
-- ARGV: 3 callId, 4 queueId, 5 nodeId, 6 callerNumber, 7 callerName, 8 channelId,
--       9 priority, 10 caller's required skills (JSON object, '' for none), 11 priority step ms,
--       12 maxCallers (0: no limit), 13 joinWhenEmpty (yes | no | strict)
-- Result: {1, position} | {0, 'CALL_EXISTS'} | {0, 'QUEUE_FULL'} | {0, 'QUEUE_EMPTY'}
-- Events: call.queued | call.overflowed (refused)
local id, queue, node = ARGV[3], ARGV[4], ARGV[5]
if redis.call('EXISTS', k('call', id)) == 1 then return {0, 'CALL_EXISTS'} end
local max_callers = tonumber(ARGV[12]) or 0
local refused = nil
if max_callers > 0 and redis.call('ZCARD', k('queue', queue, 'waiting')) >= max_callers then refused = 'full'
elseif queue_empty(queue, ARGV[13]) then refused = 'empty' end
if refused then
  -- the controller sends the caller to the queue's overflow; the queue counts the call as overflowed
  emit('call.overflowed', { callId = id, queueId = queue, reason = refused, waitMs = 0, callerNumber = ARGV[6] })
  return {0, refused == 'full' and 'QUEUE_FULL' or 'QUEUE_EMPTY'}
end
local priority = tonumber(ARGV[9]) or 0
local vtime = NOW - priority * (tonumber(ARGV[11]) or 0)
redis.call('HSET', k('call', id), 'id', id, 'queueId', queue, 'node', node, 'state', 'waiting',
  'callerNumber', ARGV[6], 'callerName', ARGV[7], 'channelId', ARGV[8], 'enqueuedAt', NOW, 'queuedAt', NOW, 'vtime', vtime,
  'priority', priority, 'priorityStep', tonumber(ARGV[11]) or 0, 'skills', ARGV[10])
redis.call('ZADD', k('queue', queue, 'waiting'), vtime, id)
redis.call('SADD', k('node', node, 'calls'), id)
local pos = position(queue, id)
emit('call.queued', { callId = id, queueId = queue, callerNumber = ARGV[6], callerName = ARGV[7], position = pos,
  priority = priority })
return {1, pos}
