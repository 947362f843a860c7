-- Asks for a room to be swept at a time (or earlier, if it already is), in the shared set of
-- rooms with disappearing messages, and keeps the set from outliving the last room it names
-- (were no instance left to sweep it).
-- KEYS: the timed set
-- ARGV: when the room is due (ms), the room's id, the room's deadline (ms)
redis.call('ZADD', KEYS[1], 'LT', ARGV[1], ARGV[2])
local deadline = tonumber(ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
if ttl < 0 or now + ttl < deadline then
  redis.call('PEXPIREAT', KEYS[1], deadline)
end
return 1
