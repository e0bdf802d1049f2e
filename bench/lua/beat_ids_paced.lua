-- GET /api/beats/{id} over many seeded ids at a steady pace: each connection waits
-- READ_DELAY_MS (default 4) between requests, so 8 connections ask about 2,000 times a second.
-- Catalogue traffic beside the purchases, not a second load test competing for the cores.
local n = tonumber(os.getenv("BEAT_IDS") or "1000")
local pause = tonumber(os.getenv("READ_DELAY_MS") or "4")
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", string.format("/api/beats/bench-%08d", (i % n) + 1))
end
delay = function()
  return pause
end
