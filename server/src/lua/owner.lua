-- Registers the creator's signing public key, once, for the holder of the room's first seat.
-- KEYS: meta, seats
-- ARGV: token hash, the seat record Rust read for it, that seat's id, the public key
-- Returns -1 when the room is gone, 1 when registered, 0 otherwise (not the creator's seat, or
-- a key is registered already)
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
if redis.call('HGET', KEYS[1], 'creator_seat') ~= ARGV[3] then return 0 end
return redis.call('HSETNX', KEYS[1], 'owner', ARGV[4])
