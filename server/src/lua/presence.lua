-- Updates who is online in a room and announces the list when it changed.
-- KEYS: meta, online
-- ARGV: 'online' | 'offline' | 'alive', now (ms), stale after (ms), channel,
--       then the connection id (offline) or triples of connection id, seat id, sealed name
-- Returns nil when the room is gone, else the seats online (one per seat, by seat id) as a flat
-- list: seat id, sealed name, seat id, sealed name, ...
local meta, online = KEYS[1], KEYS[2]
local op, now, stale, channel = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local deadline = redis.call('HGET', meta, 'expires_at')
if not deadline then
  redis.call('DEL', online)
  return false
end

-- Seat ids in order, and their names.
local function seats()
  local entries = redis.call('HGETALL', online)
  local by_seat, gone = {}, {}
  for i = 1, #entries, 2 do
    local entry = cjson.decode(entries[i + 1])
    if now - entry.t > stale then
      table.insert(gone, entries[i])
    else
      by_seat[entry.s] = entry.n
    end
  end
  if #gone > 0 then redis.call('HDEL', online, unpack(gone)) end
  local ids = {}
  for id in pairs(by_seat) do table.insert(ids, id) end
  table.sort(ids)
  return ids, by_seat
end

local before = seats()
if op == 'offline' then
  redis.call('HDEL', online, ARGV[5])
else
  for i = 5, #ARGV, 3 do
    redis.call('HSET', online, ARGV[i], cjson.encode({s = ARGV[i + 1], n = ARGV[i + 2], t = now}))
  end
  redis.call('PEXPIREAT', online, deadline)
end
local after, names = seats()

local changed = #before ~= #after
for i = 1, #after do
  if before[i] ~= after[i] then changed = true end
end
local flat, listed = {}, {}
for _, id in ipairs(after) do
  table.insert(flat, id)
  table.insert(flat, names[id])
  table.insert(listed, '{"id":' .. cjson.encode(id) .. ',"name":' .. cjson.encode(names[id]) .. '}')
end
if changed then
  redis.call('PUBLISH', channel, '{"type":"presence","data":[' .. table.concat(listed, ',') .. ']}')
end
return flat
