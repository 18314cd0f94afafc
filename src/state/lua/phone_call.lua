-- phone_call: a call an agent's phone took or made outside the queues (a channel of the agent's
-- endpoint that never entered Stasis) is over: recorded once, however many controllers saw it on
-- their AMI connection.
-- ARGV: 3 channel uniqueid, 4 agentId, 5 direction (in: taken | out: made), 6 the other party
--       (number dialed, or the caller), 7 startedAt ms, 8 answeredAt ms ('' when never answered)
-- Result: {1} | {0, 'DUPLICATE'}
-- Events: phone.call {agentId, channelId, direction, peer, startedAt, answeredAt, endedAt, talkMs}
local uid, agent, direction, peer = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local started, answered = tonumber(ARGV[7]), tonumber(ARGV[8])
if not redis.call('SET', k('phonecall', uid), agent, 'NX', 'EX', 86400) then return {0, 'DUPLICATE'} end
emit('phone.call', { agentId = agent, channelId = uid, direction = direction, peer = peer, startedAt = started,
  answeredAt = answered or cjson.null, endedAt = NOW, talkMs = answered and (NOW - answered) or 0 })
return {1}
