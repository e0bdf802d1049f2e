-- The FastAPI peer's POST-purchase.
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/api/purchases", {["Content-Type"] = "application/json"},
                    string.format('{"beat_id":"beat-%d","license":"basic"}', counter))
end
