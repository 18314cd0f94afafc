-- signin_succeeded: the right password clears the user name's failures (the address keeps its
-- count: one good account must not unlock guessing at the others from the same address).
-- ARGV: 3 user name
-- Result: {1}
-- Events: none (session.opened tells the sign-in)
redis.call('DEL', k('signin', 'name', ARGV[3]))
return {1}
