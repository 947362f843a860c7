-- Removes a room's messages up to a sequence number (those past the room's message timer, as
-- the sweeper decided from their times), oldest first, keeping `bytes` in meta right.
-- KEYS: meta, log, seq
-- ARGV: the last sequence number to remove
-- Sequence numbers have no gaps, so the log holds last - kept + 1 ... last: how many to remove
-- is counted, never read from an entry.
-- Returns -1 when the room is gone, else how many messages are left
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local kept = redis.call('LLEN', KEYS[2])
local first = tonumber(redis.call('GET', KEYS[3]) or '0') - kept + 1
local remove = math.min(tonumber(ARGV[1]) - first + 1, kept)
for _ = 1, remove do
  redis.call('HINCRBY', KEYS[1], 'bytes', -#redis.call('LPOP', KEYS[2]))
end
return kept - math.max(remove, 0)
