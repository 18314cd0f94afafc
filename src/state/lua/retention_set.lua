-- retention_set: how long what is over stays in Redis, as configured (every controller writes its
-- configuration at start; the transitions read it: see retention() in _lib.lua).
-- ARGV: 3 finished call and monitor records (s), 4 finished callback requests (s), 5 last agent of a number (s)
-- Result: {1}
-- Events: none (configuration, not a state change clients follow)
redis.call('HSET', k('retention'), 'recordSec', ARGV[3], 'callbackSec', ARGV[4], 'lastAgentSec', ARGV[5])
return {1}
