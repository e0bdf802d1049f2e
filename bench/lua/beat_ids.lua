-- GET /api/beats/{id} over many seeded ids, so the cache is exercised like real traffic. With
-- READ_DELAY_MS set, each connection waits that long between requests: steady catalogue traffic
-- beside another load (8 connections at 4 ms ask about 2,000 times a second) rather than a second
-- load test competing for the cores.
local n = tonumber(os.getenv("BEAT_IDS") or "1000")
local pause = tonumber(os.getenv("READ_DELAY_MS") or "0")
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", string.format("/api/beats/bench-%08d", (i % n) + 1))
end
if pause > 0 then
  delay = function()
    return pause
  end
end
