-- call_overflow: a waiting caller leaves its queue by policy: the queue is full or empty, or they
-- waited too long. To another queue they keep their virtual enqueue time (ahead of later callers
-- there); elsewhere (dialplan extension, voicemail, hang-up) their call record ends here.
-- ARGV: 3 callId, 4 reason (full | empty | timeout), 5 target kind (queue | extension | voicemail | none),
--       6 target (queue id, extension, mailbox, or ''), 7 for reason empty: the queue's leaveWhenEmpty
--       (yes | strict), checked here so that an agent logging in meanwhile keeps the callers
-- Result: {1, position in the target queue, or 0} | {0, 'NOT_WAITING'} | {0, 'NOT_EMPTY'}
-- Events: call.overflowed, then call.queued (target queue)
local id, reason, kind, target = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local c = call_get(id)
if not c or c.state ~= 'waiting' then return {0, 'NOT_WAITING'} end
if reason == 'empty' and not queue_empty(c.queueId, ARGV[7] == 'yes' and 'no' or ARGV[7]) then return {0, 'NOT_EMPTY'} end
redis.call('ZREM', k('queue', c.queueId, 'waiting'), id)
local wait = NOW - tonumber(c.enqueuedAt)
emit('call.overflowed', { callId = id, queueId = c.queueId, reason = reason, kind = kind, target = target, waitMs = wait,
  callerNumber = c.callerNumber })
if kind == 'queue' then
  redis.call('HSET', k('call', id), 'queueId', target, 'fromQueueId', c.queueId, 'queuedAt', NOW)
  redis.call('ZADD', k('queue', target, 'waiting'), tonumber(c.vtime), id)
  local pos = position(target, id)
  emit('call.queued', { callId = id, queueId = target, callerNumber = c.callerNumber, callerName = c.callerName, position = pos,
    fromQueueId = c.queueId })
  return {1, pos}
end
call_close(id, c.node, 'overflowed', {'waitMs', wait, 'overflowTo', kind .. ':' .. target})
return {1, 0}
