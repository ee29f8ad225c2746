-- wrk script: a different X-User-Id on every request, so the gateway and nginx's split_clients
-- both decide per user; prints one machine-readable RESULT line at the end.
-- With PACE_MS set, each connection waits that many milliseconds between requests: a fixed load
-- (about connections × 1000 / PACE_MS requests/s) instead of as much as the target takes.
local counter = 0
local pace = tonumber(os.getenv("PACE_MS") or "")
if pace then
  function delay()
    return pace
  end
end
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(tid * 7919)
end

function request()
  counter = counter + 1
  return wrk.format("GET", "/checkout", { ["X-User-Id"] = "user-" .. tid .. "-" .. counter .. "-" .. math.random(1, 1000000) })
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.1f p50_us=%d p99_us=%d p999_us=%d errors=%d non2xx=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    errors, summary.errors.status, summary.requests))
end
