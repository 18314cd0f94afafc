-- signin_succeeded: the right password clears the user name's failures (the address keeps its
-- count: one good account must not unlock guessing at the others from the same address).
-- KEYS: 1 signin:name:<name>
-- ARGV: 3 user name
-- Result: {1}
-- Events: none (session.opened tells the sign-in)
local BY_NAME = KEYS[1]
redis.call('DEL', BY_NAME)
return {1}
