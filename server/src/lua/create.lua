-- Counts a new room against its creator's allowance, in one step.
-- KEYS: the creator's set (an opaque entry per room → the room's deadline, ms)
-- ARGV: now (ms), the new room's deadline (ms), its entry (random: it never names the room),
--       how many rooms alive the creator may hold
-- Returns 1 when counted, 0 when the creator already holds as many as it may.
local set = KEYS[1]
redis.call('ZREMRANGEBYSCORE', set, '-inf', ARGV[1])
if redis.call('ZCARD', set) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', set, ARGV[2], ARGV[3])
-- The set ends with the last of its rooms.
local latest = redis.call('ZRANGE', set, -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', set, latest[2])
return 1
