-- Cycles through type-ahead and whole-word searches over the seeded catalogue.
local queries = {"midnight", "neon dre", "golden rain", "trap", "velvet ghosts", "lunar", "smoke sig", "ocean waves",
                 "crimson", "electric pul", "paper", "drill fever"}
local i = 0
request = function()
  i = i + 1
  local q = queries[(i % #queries) + 1]:gsub(" ", "+")
  return wrk.format("GET", "/api/beats?q=" .. q .. "&limit=20")
end
