-- Claims a seat in one step, so capacity can never be exceeded, and tells every instance of a
-- new one.
-- KEYS: meta, seats
-- ARGV: token hash, the seat record for a new seat (opaque: Rust encodes it), sealed key check
--       ('' for none), the new seat's id, the payload to publish for a new seat (Rust writes
--       it, server/src/event/wire.rs), channel, publish command (PUBLISH | SPUBLISH)
-- Returns {'ok', seat record} | {'full'} | {'locked'} | {'taken'} | {'gone'}
local meta, seats = KEYS[1], KEYS[2]
local deadline = redis.call('HGET', meta, 'expires_at')
if not deadline then return {'gone'} end
local held = redis.call('HGET', seats, ARGV[1])
if held then return {'ok', held} end
-- A locked room gives out no new seat (its creator locked it: lock.lua).
if redis.call('HEXISTS', meta, 'locked') == 1 then return {'locked'} end
local capacity = tonumber(redis.call('HGET', meta, 'capacity'))
if redis.call('HLEN', seats) >= capacity then return {'full'} end
-- A seat id is given out once in the room's life (the meta hash lives as long as the room).
if redis.call('HSETNX', meta, 'seat:' .. ARGV[4], 1) == 0 then return {'taken'} end
-- The first seat is the creator's: its key check is the room's, and its id the creator's,
-- for good.
if redis.call('HLEN', seats) == 0 then
  if ARGV[3] ~= '' then redis.call('HSETNX', meta, 'check', ARGV[3]) end
  redis.call('HSETNX', meta, 'creator_seat', ARGV[4])
end
redis.call('HSET', seats, ARGV[1], ARGV[2])
redis.call('PEXPIREAT', seats, deadline)
redis.call(ARGV[7], ARGV[6], ARGV[5])
return {'ok', ARGV[2]}
