-- clip_played: a clip finished playing into a live call. No state changes: this only puts the
-- event on the stream (in order with the call's own events, e.g. before its call.ended).
-- KEYS: , 1 events
-- ARGV: 3 callId, 4 clipId, 5 queueId, 6 agentId, 7 playedBy (API user id), 8 then ('continue' | 'hangup'),
--       9 outcome ('done' | 'failed' | 'interrupted': the call ended first)
-- Result: {1}
-- Events: call.clip_played
EVENTS = KEYS[1]
emit('call.clip_played', { callId = ARGV[3], clipId = ARGV[4], queueId = ARGV[5], agentId = ARGV[6],
  playedBy = ARGV[7], ['then'] = ARGV[8], outcome = ARGV[9] })
return {1}
