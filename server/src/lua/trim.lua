-- Removes a room's messages up to a sequence number (those past the room's message timer, as
-- the sweeper decided from their times), oldest first, keeping `bytes` in meta right.
-- KEYS: meta, log
-- ARGV: the last sequence number to remove
-- Returns -1 when the room is gone, else how many messages are left
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local up_to = tonumber(ARGV[1])
while true do
  local oldest = redis.call('LINDEX', KEYS[2], 0)
  if not oldest then break end
  local seq = tonumber(string.match(oldest, '^message:(%d+):'))
  if not seq or seq > up_to then break end
  redis.call('LPOP', KEYS[2])
  redis.call('HINCRBY', KEYS[1], 'bytes', -#oldest)
end
return redis.call('LLEN', KEYS[2])
