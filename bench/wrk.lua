-- wrk script: cycle through a file of URL paths, one per line, and print the
-- results as one JSON line.  Usage:
--   wrk -t2 -c16 -d30s --latency -s bench/wrk.lua http://127.0.0.1:PORT -- URLS.txt
-- Each thread starts at a different place in the list, far apart (the golden
-- ratio's share of the list after the previous one), so together they send the
-- whole mix from the first second and, in a long list, never the same URL twice
-- within moments.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if line ~= "" then table.insert(paths, line) end
  end
  if #paths == 0 then error("no URLs in " .. args[1]) end
  index = math.floor(id * #paths * 0.6180339887) % #paths
end

function request()
  index = index % #paths + 1
  return wrk.format("GET", paths[index])
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_s": %.3f, "rps": %.2f, "bytes": %d, ' ..
    '"latency_ms": {"p50": %.2f, "p90": %.2f, "p99": %.2f, "max": %.2f, "mean": %.2f}, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
