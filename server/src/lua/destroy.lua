-- Deletes every key of a room at once, then tells every instance it ended.
-- KEYS: meta, seats, log, seq, sent, online
-- ARGV: channel, the payload announcing the end (opaque: Rust encodes it), publish command
--       (PUBLISH | SPUBLISH)
-- Returns 1 when there was a room, 0 otherwise
local existed = redis.call('EXISTS', KEYS[1])
redis.call('DEL', unpack(KEYS))
if existed == 1 then
  redis.call(ARGV[3], ARGV[1], ARGV[2])
end
return existed
