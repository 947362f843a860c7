-- Claims a seat in one step, so capacity can never be exceeded.
-- KEYS: meta, seats
-- ARGV: token hash, sealed name, id for a new seat, sealed key check ('' for none)
-- Returns {'ok', seat json} | {'full'} | {'gone'}
local meta, seats = KEYS[1], KEYS[2]
local deadline = redis.call('HGET', meta, 'expires_at')
if not deadline then return {'gone'} end
local held = redis.call('HGET', seats, ARGV[1])
if held then return {'ok', held} end
local capacity = tonumber(redis.call('HGET', meta, 'capacity'))
if redis.call('HLEN', seats) >= capacity then return {'full'} end
-- The first seat is the creator's: its key check is the room's, for good.
if ARGV[4] ~= '' and redis.call('HLEN', seats) == 0 then
  redis.call('HSETNX', meta, 'check', ARGV[4])
end
local seat = cjson.encode({id = ARGV[3], name = ARGV[2]})
redis.call('HSET', seats, ARGV[1], seat)
redis.call('PEXPIREAT', seats, deadline)
return {'ok', seat}
