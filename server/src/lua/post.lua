-- Stores a message and announces it in one step: the next sequence number, the capped
-- history, the resend guard and the publish happen together or not at all.
-- KEYS: meta, seats, log, seq, sent
-- ARGV: token hash, client id, sealed body, now (ms), message id, history cap, channel
-- Returns {'ok', message json} | {'dup', message json} | {'gone'} | {'no_seat'}
local meta, seats, log, seq_key, sent = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local deadline = redis.call('HGET', meta, 'expires_at')
if not deadline then return {'gone'} end
local stored_seat = redis.call('HGET', seats, ARGV[1])
if not stored_seat then return {'no_seat'} end
local seat = cjson.decode(stored_seat)
local cap = tonumber(ARGV[6])

local function encode(seq, id)
  return '{"seq":' .. seq .. ',"id":' .. cjson.encode(id) .. ',"client_id":' .. cjson.encode(ARGV[2])
    .. ',"sender":' .. stored_seat .. ',"body":' .. cjson.encode(ARGV[3])
    .. ',"ts":' .. ARGV[4] .. '}'
end

local guard = seat.id .. ':' .. ARGV[2]
local prior = redis.call('HGET', sent, guard)
if prior then
  local first = redis.call('LINDEX', log, 0)
  if first then
    local index = tonumber(prior) - cjson.decode(first).seq
    local stored = index >= 0 and redis.call('LINDEX', log, index)
    if stored then return {'dup', stored} end
  end
  -- Dropped by the cap already: acknowledge with what the sender sent.
  return {'dup', encode(prior, ARGV[5])}
end

local seq = redis.call('INCR', seq_key)
local message = encode(seq, ARGV[5])
redis.call('RPUSH', log, message)
redis.call('LTRIM', log, -cap, -1)
redis.call('HSET', sent, guard, seq)
-- Forget resend guards of messages the cap dropped (amortised: once per `cap` messages).
if redis.call('HLEN', sent) > 2 * cap then
  local oldest = cjson.decode(redis.call('LINDEX', log, 0)).seq
  local all = redis.call('HGETALL', sent)
  for i = 1, #all, 2 do
    if tonumber(all[i + 1]) < oldest then redis.call('HDEL', sent, all[i]) end
  end
end
redis.call('PEXPIREAT', log, deadline)
redis.call('PEXPIREAT', seq_key, deadline)
redis.call('PEXPIREAT', sent, deadline)
redis.call('PUBLISH', ARGV[7], '{"type":"message","data":' .. message .. '}')
return {'ok', message}
