-- GET each path listed in $GISAPP_PATHS in turn, with an optional bearer token.
-- Requests are formatted once, in init: wrk shares the CPU with the server it measures.
local requests = {}
local i = 0
init = function()
  local token = os.getenv("GISAPP_TOKEN")
  local headers = {}
  if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
  for line in io.lines(os.getenv("GISAPP_PATHS")) do
    requests[#requests + 1] = wrk.format("GET", line, headers)
  end
end
request = function()
  i = i % #requests + 1
  return requests[i]
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
