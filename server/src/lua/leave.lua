-- Gives a seat back and tells every instance, so the seat's sockets close.
-- KEYS: meta, seats
-- ARGV: token hash, channel, publish command (PUBLISH | SPUBLISH)
-- Publishes 'left:' .. seat record (server/src/event/wire.rs).
-- Returns -1 when the room is gone, 0 when the token held no seat, 1 when it was released
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local seat = redis.call('HGET', KEYS[2], ARGV[1])
if not seat then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call(ARGV[3], ARGV[2], 'left:' .. seat)
return 1
