-- Messages after a sequence number.
-- KEYS: meta, log, seq
-- ARGV: since
-- Returns nil when the room is gone, else {last seq, truncated (0/1), {stored message...}}
-- (each as post.lua stored it: server/src/event/wire.rs reads them)
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local kept = redis.call('LLEN', KEYS[2])
if kept == 0 then return {last, 0, {}} end
-- Sequence numbers have no gaps: the log holds last - kept + 1 … last.
local first_seq = last - kept + 1
local truncated = first_seq > 1 and 1 or 0
local start = tonumber(ARGV[1]) + 1 - first_seq
if start < 0 then start = 0 end
if start >= kept then return {last, truncated, {}} end
return {last, truncated, redis.call('LRANGE', KEYS[2], start, -1)}
