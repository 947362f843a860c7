-- Stores a message and announces it in one step: the next sequence number, the capped
-- history, the resend guard and the publish happen together or not at all.
-- KEYS: meta, seats, log, seq, sent
-- ARGV: token hash, the sender's seat record (the seat the token must hold), resend guard
--       (client id), the message's payload before and after its sequence number (Rust writes
--       both, server/src/event/wire.rs), history cap (messages), history budget (bytes, as
--       stored), channel, publish command (PUBLISH, or SPUBLISH on a Redis Cluster: the channel
--       has the room's hash tag, so it is in this script's slot)
-- The message is stored and published as head .. seq .. tail: this script adds only what it
-- alone knows, the sequence number, and never reads or builds a payload.
-- Returns {'ok', seq, message timer (ms), the room's deadline (ms)} (the last two '' unless
-- this message made the log) | {'dup', stored message} | {'gone'} | {'no_seat'}
-- Every key it may create gets the room's deadline as it is created (a log emptied by the
-- sweeper is created again by the next message), so none outlives the room.
local meta, seats, log, seq_key, sent = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local token, sender, client_id, head, tail, cap, budget, channel, publish =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8],
  ARGV[9]
-- The seats hash ends with the room (same deadline, same destroy): a seat means a live room.
local seat = redis.call('HGET', seats, token)
if seat ~= sender then
  if redis.call('EXISTS', meta) == 0 then return {'gone'} end
  return {'no_seat'}
end
-- A seat is its token's for the room's life, so the token names the sender in the guard.
local guard = token .. ':' .. client_id

local function framed(seq)
  return head .. seq .. tail
end

local prior = redis.call('HGET', sent, guard)
if prior then
  -- Sequence numbers have no gaps, so the stored copy is found from the end of the log.
  local last = tonumber(redis.call('GET', seq_key))
  local stored = redis.call('LINDEX', log, tonumber(prior) - last - 1)
  if stored then return {'dup', stored} end
  -- Dropped by the cap already: acknowledge with what the sender sent.
  return {'dup', framed(prior)}
end

local seq = redis.call('INCR', seq_key)
local stored = framed(seq)
local kept = redis.call('RPUSH', log, stored)
-- A log of one message was just created: by the first message, or by the first after the
-- sweeper emptied it (Redis deletes an empty list).
local new_log = kept == 1
-- The bytes the log holds live in meta (it ends with the room). The oldest messages go first,
-- past the cap or past the budget; the newest always stays.
local bytes = redis.call('HINCRBY', meta, 'bytes', #stored)
while kept > cap or (bytes > budget and kept > 1) do
  bytes = redis.call('HINCRBY', meta, 'bytes', -#redis.call('LPOP', log))
  kept = kept - 1
end
redis.call('HSET', sent, guard, seq)
local timer, deadline = '', ''
if new_log or seq == 1 then
  -- Keys made here end with the room; a room with a message timer is asked to be swept (the
  -- sweeper then follows the log until it is empty again).
  local read = redis.call('HMGET', meta, 'timer', 'expires_at')
  timer, deadline = read[1] or '', read[2]
  if new_log then redis.call('PEXPIREAT', log, deadline) end
  if seq == 1 then
    -- No command deletes these (values added later keep a key's expiry).
    redis.call('PEXPIREAT', seq_key, deadline)
    redis.call('PEXPIREAT', sent, deadline)
  end
elseif seq % cap == 0 then
  -- Forget resend guards of messages no longer kept (once per `cap` messages; this message's
  -- guard stays, so the hash is never emptied).
  local oldest = seq - kept + 1
  local all = redis.call('HGETALL', sent)
  for i = 1, #all, 2 do
    if tonumber(all[i + 1]) < oldest then redis.call('HDEL', sent, all[i]) end
  end
end
redis.call(publish, channel, stored)
return {'ok', tostring(seq), timer, deadline}
