-- Stores a message and announces it in one step: the next sequence number, the capped
-- history, the resend guard and the publish happen together or not at all.
-- KEYS: meta, seats, log, seq, sent
-- ARGV: token hash, client id, the message JSON after its sender (`,"client_id":…,"body":…,
--       "ts":…}`, encoded by the caller), message id, history cap, channel
-- The message is stored and published as the very frame clients receive:
--   {"type":"message","seq":N,"id":"…","sender":<seat JSON>,"client_id":…,"body":…,"ts":…}
-- so no instance decodes and re-encodes it per socket, and nothing here decodes JSON.
-- Returns {'ok', seq} | {'dup', message JSON} | {'gone'} | {'no_seat'}
local meta, seats, log, seq_key, sent = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
-- The seats hash ends with the room (same deadline, same destroy): a seat means a live room.
local seat = redis.call('HGET', seats, ARGV[1])
if not seat then
  if redis.call('EXISTS', meta) == 0 then return {'gone'} end
  return {'no_seat'}
end
local cap = tonumber(ARGV[5])
-- Seats are JSON written by join.lua; a sealed name (base64url) cannot hold this pattern.
local guard = string.match(seat, '"id":"([^"]*)"') .. ':' .. ARGV[2]

local function message(seq, id)
  return '{"type":"message","seq":' .. seq .. ',"id":"' .. id .. '","sender":' .. seat .. ARGV[3]
end

local prior = redis.call('HGET', sent, guard)
if prior then
  -- Sequence numbers have no gaps, so the stored copy is found from the end of the log.
  local last = tonumber(redis.call('GET', seq_key))
  local stored = redis.call('LINDEX', log, tonumber(prior) - last - 1)
  if stored then return {'dup', stored} end
  -- Dropped by the cap already: acknowledge with what the sender sent.
  return {'dup', message(prior, ARGV[4])}
end

local seq = redis.call('INCR', seq_key)
local stored = message(seq, ARGV[4])
if redis.call('RPUSH', log, stored) > cap then
  redis.call('LTRIM', log, -cap, -1)
end
redis.call('HSET', sent, guard, seq)
if seq == 1 then
  -- The first message creates these keys; they end with the room (values added later keep
  -- the expiry).
  local deadline = redis.call('HGET', meta, 'expires_at')
  if deadline then
    redis.call('PEXPIREAT', log, deadline)
    redis.call('PEXPIREAT', seq_key, deadline)
    redis.call('PEXPIREAT', sent, deadline)
  end
elseif seq % cap == 0 then
  -- Forget resend guards of messages the cap dropped (once per `cap` messages).
  local oldest = seq - cap + 1
  local all = redis.call('HGETALL', sent)
  for i = 1, #all, 2 do
    if tonumber(all[i + 1]) < oldest then redis.call('HDEL', sent, all[i]) end
  end
end
redis.call('PUBLISH', ARGV[6], stored)
return {'ok', tostring(seq)}
