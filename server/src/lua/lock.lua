-- Locks a room (no new seat is given out: join.lua) or unlocks it, and tells every instance when
-- that changed it.
-- KEYS: meta
-- ARGV: '1' to lock, '0' to unlock; the payload to publish (Rust writes it); channel; publish
--       command (PUBLISH | SPUBLISH)
-- Returns -1 when the room is gone, 1 when changed, 0 when it already was so
-- (The room's meta hash is checked first: writing to a missing one would make a key with no
-- deadline.)
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local changed
if ARGV[1] == '1' then
  changed = redis.call('HSETNX', KEYS[1], 'locked', 1)
else
  changed = redis.call('HDEL', KEYS[1], 'locked')
end
if changed == 1 then redis.call(ARGV[4], ARGV[3], ARGV[2]) end
return changed
