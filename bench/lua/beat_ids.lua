-- GET /api/beats/{id} over many seeded ids, so the cache is exercised like real traffic.
local n = tonumber(os.getenv("BEAT_IDS") or "1000")
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", string.format("/api/beats/bench-%08d", (i % n) + 1))
end
