-- Gives a seat back (its holder left, or the creator removed it) and tells every instance, so
-- the seat's sockets close.
-- KEYS: meta, seats
-- ARGV: token hash, the seat record Rust read for it, the payload to publish (Rust writes it,
--       server/src/event/wire.rs), channel, publish command (PUBLISH | SPUBLISH), and for a
--       removal the meta field that remembers the token as removed ('' when it left)
-- Returns -1 when the room is gone, 0 when the token held no seat (or no longer that one), 1
-- when it was released
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], ARGV[6], 1) end
redis.call(ARGV[5], ARGV[4], ARGV[3])
return 1
