-- Messages after a sequence number.
-- KEYS: meta, log, seq
-- ARGV: since
-- Returns nil when the room is gone, else {last seq, truncated (0/1), {message json...}}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local first = redis.call('LINDEX', KEYS[2], 0)
if not first then return {last, 0, {}} end
local first_seq = cjson.decode(first).seq
local start = tonumber(ARGV[1]) + 1 - first_seq
if start < 0 then start = 0 end
local truncated_flag = first_seq > 1 and 1 or 0
if start >= redis.call('LLEN', KEYS[2]) then return {last, truncated_flag, {}} end
local truncated = 0
if first_seq > 1 then truncated = 1 end
return {last, truncated, redis.call('LRANGE', KEYS[2], start, -1)}
