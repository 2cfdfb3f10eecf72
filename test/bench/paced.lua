-- wrk script: each connection waits an exponentially distributed time (mean PACE_MS) before each
-- request, so the connections together send a Poisson stream of about
-- connections * 1000 / PACE_MS requests per second, as independent clients would. (hey's
-- rate-limited workers fire in step instead, so its requests come in bursts of its worker count.)
-- wrk times each request from its write to its response, so the pause is not counted as latency.
local mean_ms = tonumber(os.getenv("PACE_MS") or "10")

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6) + tonumber(tostring({}):match("0x(%x+)"), 16) % 1e6)
end

function delay()
  return math.floor(-mean_ms * math.log(1 - math.random()) + 0.5)
end
