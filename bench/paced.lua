-- wrk script: the same requests as user-ids.lua, each connection waiting PACE_MS milliseconds
-- between requests, so the load is fixed (about connections × 1000 / PACE_MS requests/s) rather
-- than as much as the target takes: latency at a moderate load, not at saturation.
local counter = 0
local thread_id = 0
local pace = tonumber(os.getenv("PACE_MS") or "10")

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  math.randomseed(tid * 7919)
end

function delay()
  return pace
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
