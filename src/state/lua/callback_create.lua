-- callback_create: a callback request joins a queue. From a waiting caller (who pressed the key)
-- it takes the caller's virtual enqueue time: the request keeps the caller's place in line.
-- From the API it joins now, or is scheduled for a later time.
-- ARGV: 3 callbackId, 4 queueId, 5 number, 6 name, 7 fromCallId ('' from the API),
--       8 message recording name (''), 9 preferredAgentId (''), 10 preference ms,
--       11 dueAt ms ('' = now), 12 maxAttempts, 13 '1' to prefer the number's last agent in the queue
-- Result: {1, state} (waiting | scheduled) | {0, 'CALL_NOT_WAITING'} | {0, 'EXISTS'}
-- Events: call.callback_requested (from a caller), callback.queued | callback.scheduled
local id, queue, number, name, from_call = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local message, preferred, prefer_ms, due, max_attempts = ARGV[8], ARGV[9], tonumber(ARGV[10]), tonumber(ARGV[11]), ARGV[12]
if redis.call('EXISTS', k('call', id)) == 1 then return {0, 'EXISTS'} end
local vtime, enqueued = NOW, NOW
if from_call ~= '' then
  local c = call_get(from_call)
  if not c or c.state ~= 'waiting' then return {0, 'CALL_NOT_WAITING'} end
  vtime, enqueued = tonumber(c.vtime), tonumber(c.enqueuedAt)
  redis.call('ZREM', k('queue', queue, 'waiting'), from_call)
  call_close(from_call, c.node, 'callback', {'callbackId', id})
  emit('call.callback_requested', { callId = from_call, queueId = queue, callbackId = id, waitMs = NOW - enqueued })
elseif due and due > NOW then
  vtime = due
end
if preferred == '' and ARGV[13] == '1' then
  preferred = redis.call('GET', k('queue', queue, 'lastagent', number)) or ''
end
redis.call('HSET', k('call', id), 'id', id, 'kind', 'callback', 'queueId', queue, 'node', '',
  'callerNumber', number, 'callerName', name, 'vtime', vtime, 'enqueuedAt', enqueued, 'createdAt', NOW,
  'message', message, 'attempts', 0, 'maxAttempts', max_attempts, 'preferredAgentId', preferred,
  'preferMs', prefer_ms, 'fromCallId', from_call)
redis.call('SADD', k('callbacks'), id)
if due and due > NOW then
  redis.call('HSET', k('call', id), 'state', 'scheduled', 'dueAt', due)
  redis.call('ZADD', k('timers'), due, 'callback|' .. id)
  emit('callback.scheduled', { callbackId = id, queueId = queue, number = number, dueAt = due })
  return {1, 'scheduled'}
end
redis.call('HSET', k('call', id), 'state', 'waiting')
redis.call('ZADD', k('queue', queue, 'waiting'), vtime, id)
if preferred ~= '' and prefer_ms > 0 then
  redis.call('HSET', k('call', id), 'preferredUntil', NOW + prefer_ms)
  redis.call('ZADD', k('timers'), NOW + prefer_ms, 'prefer|' .. id)
end
emit('callback.queued', { callbackId = id, queueId = queue, number = number, position = position(queue, id),
  preferredAgentId = preferred ~= '' and preferred or cjson.null })
return {1, 'waiting'}
