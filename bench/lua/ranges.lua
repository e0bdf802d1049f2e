-- Random 64 KiB ranges of a file of `size` bytes (set by bench/beats.sh through the environment).
local size = tonumber(os.getenv("RANGE_FILE_SIZE"))
local chunk = 65536
math.randomseed(os.time())
request = function()
  local start = math.random(0, size - chunk - 1)
  return wrk.format("GET", nil, {["Range"] = "bytes=" .. start .. "-" .. (start + chunk - 1)})
end
