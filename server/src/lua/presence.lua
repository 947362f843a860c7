-- Updates who is online in a room and announces the list when it changed.
-- KEYS: meta, online
-- ARGV: 'online' | 'offline' | 'alive', now (ms), stale after (ms), channel, publish command
--       (PUBLISH | SPUBLISH), the payload's prefix and the separator between its records (Rust
--       writes both, server/src/event/wire.rs), then the connection id (offline) or pairs of
--       connection id and seat record
-- Each entry of the online hash is connection id → last seen (ms) .. ':' .. seat record; the
-- record is opaque here (Rust encodes it): one seat is one record.
-- Publishes the prefix .. the records online, one per seat, joined by the separator, when they
-- changed.
-- Returns nil when the room is gone, else those records.
local meta, online = KEYS[1], KEYS[2]
local op, now, stale, channel, publish, prefix, separator =
  ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local deadline = redis.call('HGET', meta, 'expires_at')
if not deadline then
  redis.call('DEL', online)
  return false
end

-- The seats online, one record per seat, in order (a record starts with its seat id).
local function seats()
  local entries = redis.call('HGETALL', online)
  local listed, seen, gone = {}, {}, {}
  for i = 1, #entries, 2 do
    local t, seat = string.match(entries[i + 1], '^(%d+):(.*)$')
    if not t or now - tonumber(t) > stale then
      table.insert(gone, entries[i])
    elseif not seen[seat] then
      seen[seat] = true
      table.insert(listed, seat)
    end
  end
  if #gone > 0 then redis.call('HDEL', online, unpack(gone)) end
  table.sort(listed)
  return listed
end

local before = seats()
if op == 'offline' then
  redis.call('HDEL', online, ARGV[8])
else
  for i = 8, #ARGV, 2 do
    redis.call('HSET', online, ARGV[i], ARGV[2] .. ':' .. ARGV[i + 1])
  end
  redis.call('PEXPIREAT', online, deadline)
end
local after = seats()

local changed = #before ~= #after
for i = 1, #after do
  if before[i] ~= after[i] then changed = true end
end
if changed then
  redis.call(publish, channel, prefix .. table.concat(after, separator))
end
return after
