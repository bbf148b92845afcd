-- GET /api/locate for random points read from $GISAPP_POINTS ("lng lat" per line).
local points = {}
for line in io.lines(os.getenv("GISAPP_POINTS")) do
  local x, y = line:match("([%d%.%-]+)%s+([%d%.%-]+)")
  points[#points + 1] = {x, y}
end
local i = 0
request = function()
  i = i % #points + 1
  local p = points[i]
  return wrk.format("GET", "/api/locate?lng=" .. p[1] .. "&lat=" .. p[2])
end
-- Print wrk's results as one JSON line that scripts/bench.py reads.
function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
               + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'JSON {"rps": %.1f, "p50": %.3f, "p95": %.3f, "p99": %.3f, "errors": %d, "requests": %d}\n',
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    errors, summary.requests))
end
