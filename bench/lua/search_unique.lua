-- Every request a different query (a word plus a number prefix), so the search cache never helps.
local words = {"midnight", "neon", "golden", "velvet", "lunar", "smoke", "ocean", "crimson", "paper", "electric"}
local i = 0
request = function()
  i = i + 1
  local q = words[(i % #words) + 1] .. "+" .. tostring(math.random(1, 99999))
  return wrk.format("GET", "/api/beats?q=" .. q .. "&limit=20")
end
