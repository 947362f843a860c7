-- Updates who is online in a room and announces the list when it changed.
-- KEYS: meta, online
-- ARGV: 'online' | 'offline' | 'alive', now (ms), stale after (ms), channel,
--       then the connection id (offline) or triples of connection id, seat id, name
-- Returns nil when the room is gone, else the sorted names online (one per seat)
local meta, online = KEYS[1], KEYS[2]
local op, now, stale, channel = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local deadline = redis.call('HGET', meta, 'expires_at')
if not deadline then
  redis.call('DEL', online)
  return false
end

local function names()
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
  local list = {}
  for _, name in pairs(by_seat) do table.insert(list, name) end
  table.sort(list)
  return list
end

local before = names()
if op == 'offline' then
  redis.call('HDEL', online, ARGV[5])
else
  for i = 5, #ARGV, 3 do
    redis.call('HSET', online, ARGV[i], cjson.encode({s = ARGV[i + 1], n = ARGV[i + 2], t = now}))
  end
  redis.call('PEXPIREAT', online, deadline)
end
local after = names()

local changed = #before ~= #after
for i = 1, #after do
  if before[i] ~= after[i] then changed = true end
end
if changed then
  local data = '[]'
  if #after > 0 then data = cjson.encode(after) end
  redis.call('PUBLISH', channel, '{"type":"presence","data":' .. data .. '}')
end
return after
