-- POST /api/purchases: every request a new (buyer, beat) pair over the seeded beats, so none is
-- refused as "already licensed". BUYER_TOKENS is a comma list; each wrk thread takes its own
-- half of the beats, from PURCHASE_OFFSET on (a second run in the same store starts further in).
local tokens = {}
for t in string.gmatch(os.getenv("BUYER_TOKENS") or "", "[^,]+") do table.insert(tokens, t) end
local beats = tonumber(os.getenv("BENCH_BEATS") or "100000")
local offset = tonumber(os.getenv("PURCHASE_OFFSET") or "0")
local threads = 0
local counter = 0
setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end
request = function()
  counter = counter + 1
  local buyer = tokens[(counter % #tokens) + 1]
  local n = id * math.floor(beats / 2) + offset + math.floor(counter / #tokens) + 1
  local body = string.format('{"beat_id":"bench-%08d","license":"basic","payment":{"provider":"test","token":"tok_visa"}}', n)
  return wrk.format("POST", "/api/purchases", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. buyer}, body)
end
