-- wrk script for bench/bench_live_webhooks.py: each pre-signed webhook of a file POSTed once, at a rate.
-- The file has one request a line: "<index>\t<X-Hub-Signature-256>\t<body>". Thread t of T sends the
-- lines whose index is t modulo T, in order, on a schedule of rate/T a second (a request is sent when it
-- is due or, if every connection is busy, as soon as one is free), and stops when it has none left.
-- Each request carries X-Request-ID bench-<index>, which the site echoes: the indexes answered 200 are
-- written to <prefix>.<t>, one a line, so the bench knows exactly which payloads the site accepted.
-- Arguments (after --): requests file, output prefix, path, requests a second (0: as fast as answered),
-- number of threads.

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } timespec;
int clock_gettime(int clk_id, timespec *tp);
]]
local now_ts = ffi.new("timespec")
local function now_ms()
   ffi.C.clock_gettime(1, now_ts)  -- CLOCK_MONOTONIC
   return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end

local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
end

function init(args)
   local file, prefix, threads = args[1], args[2], tonumber(args[5])
   path = args[3]
   local rate = tonumber(args[4])
   interval = 0
   if rate > 0 then interval = 1000 * threads / rate end
   requests = {}
   for line in io.lines(file) do
      local index, signature, body = line:match("^(%d+)\t([^\t]+)\t(.*)$")
      if tonumber(index) % threads == id then
         table.insert(requests, wrk.format("POST", path, {
            ["Content-Type"] = "application/json",
            ["X-Hub-Signature-256"] = signature,
            ["X-Request-ID"] = "bench-" .. index,
         }, body))
      end
   end
   next_request = 1
   scheduled = 0
   out = io.open(prefix .. "." .. id, "w")
   out:setvbuf("line")
end

function delay()
   if interval == 0 then return 0 end
   if start == nil then start = now_ms() end
   local due = start + scheduled * interval
   scheduled = scheduled + 1
   local wait = due - now_ms()
   if wait > 0 then return wait end
   return 0
end

function request()
   local r = requests[next_request]
   if r == nil then
      wrk.thread:stop()
      return wrk.format("GET", "/healthz")  -- the thread stops: nothing more to send
   end
   next_request = next_request + 1
   return r
end

function response(status, headers, body)
   if status == 200 then
      local rid = headers["X-Request-ID"] or headers["x-request-id"] or ""
      if rid:sub(1, 6) == "bench-" then out:write(rid:sub(7), "\n") end
   end
end

function done(summary, latency, requests)
   io.write(string.format("WRK requests=%d seconds=%.3f p50=%.3f p99=%.3f max=%.3f status_errors=%d " ..
                          "connect=%d read=%d write=%d timeout=%d\n",
      summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      latency.max / 1000, summary.errors.status, summary.errors.connect, summary.errors.read,
      summary.errors.write, summary.errors.timeout))
end
