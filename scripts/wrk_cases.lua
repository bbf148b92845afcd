-- POST /api/cases with a fresh client id and a random point from $GISAPP_POINTS each time.
local points = {}
for line in io.lines(os.getenv("GISAPP_POINTS")) do
  local x, y = line:match("([%d%.%-]+)%s+([%d%.%-]+)")
  points[#points + 1] = {x, y}
end
local token = os.getenv("GISAPP_TOKEN")
local counter = 0
local thread_id = 0
setup = function(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end
request = function()
  counter = counter + 1
  local p = points[(counter * 7919) % #points + 1]
  local body = string.format(
    '{"kind":"incident","category":"rubbish","description":"bench","client_id":"bench-%s-%d-%d",'
    .. '"location":{"lng":%s,"lat":%s}}', os.time(), tid or 0, counter, p[1], p[2])
  return wrk.format("POST", "/api/cases", {
    ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
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
