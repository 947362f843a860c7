-- Claims a seat in one step, so capacity can never be exceeded.
-- KEYS: meta, seats
-- ARGV: token hash, wanted name, id for a new seat
-- Returns {'ok', seat json} | {'full'} | {'gone'}
local meta, seats = KEYS[1], KEYS[2]
local deadline = redis.call('HGET', meta, 'expires_at')
if not deadline then return {'gone'} end
local held = redis.call('HGET', seats, ARGV[1])
if held then return {'ok', held} end
local capacity = tonumber(redis.call('HGET', meta, 'capacity'))
if redis.call('HLEN', seats) >= capacity then return {'full'} end
-- A name another seat already uses gets a number: "bob (2)".
local taken = {}
for _, seat in ipairs(redis.call('HVALS', seats)) do taken[cjson.decode(seat).name] = true end
local name, n = ARGV[2], 1
while taken[name] do
  n = n + 1
  name = ARGV[2] .. ' (' .. n .. ')'
end
local seat = cjson.encode({id = ARGV[3], name = name})
redis.call('HSET', seats, ARGV[1], seat)
redis.call('PEXPIREAT', seats, deadline)
return {'ok', seat}
