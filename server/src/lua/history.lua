-- A page of a room's messages: the newest `limit` kept ones with after < seq < before.
-- KEYS: meta, log, seq
-- ARGV: after, before (0: no upper bound), limit
-- Returns nil when the room is gone, else {last seq, truncated (0/1), more (0/1),
-- {stored message...}, message timer (ms, 0: none)}: `more` when kept messages of the window
-- are older than the page (each as post.lua stored it: server/src/event/wire.rs reads them;
-- Rust leaves out those past the timer that the sweeper has not removed yet)
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local timer = tonumber(redis.call('HGET', KEYS[1], 'timer') or '0')
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local kept = redis.call('LLEN', KEYS[2])
if kept == 0 then return {last, 0, 0, {}, timer} end
-- Sequence numbers have no gaps: the log holds last - kept + 1 … last.
local first_seq = last - kept + 1
local truncated = first_seq > 1 and 1 or 0
local lo = math.max(tonumber(ARGV[1]) + 1, first_seq)
local hi = last
if tonumber(ARGV[2]) > 0 then hi = math.min(hi, tonumber(ARGV[2]) - 1) end
if lo > hi then return {last, truncated, 0, {}, timer} end
local from = math.max(lo, hi - tonumber(ARGV[3]) + 1)
local more = from > lo and 1 or 0
return {last, truncated, more, redis.call('LRANGE', KEYS[2], from - first_seq, hi - first_seq), timer}
