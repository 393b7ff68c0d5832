-- wrk script: an in-sync 40-item check for one user, posted over and over.
--
-- The body and token come from a setup step (bench/wrk/setup.sh), which seeds
-- the user and asks primesync-loadgen for the exact check body the client would
-- send for it (40 entries of key, dataType, dataTimestamp, ~190 B each):
--
--   bench/wrk/setup.sh http://127.0.0.1:18480 /tmp/check40   # writes check40.body(.token)
--   CHECK40_BODY=/tmp/check40/check40.body wrk -t1 -c64 -d5s \
--     -s bench/wrk/check40.lua http://127.0.0.1:18480
--
-- Every response is counted; a non-200 status shows in wrk's "Non-2xx" line,
-- and a business error (code != 0 inside a 200) is counted in done() below.

local body_path = os.getenv("CHECK40_BODY") or "/tmp/check40/check40.body"

local function slurp(path)
  local f = assert(io.open(path, "rb"), "cannot open " .. path)
  local s = f:read("*a")
  f:close()
  return (s:gsub("%s+$", ""))
end

wrk.method = "POST"
wrk.path = "/prime/v1/sync/check"
wrk.body = slurp(body_path)
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Onekey-Request-Token"] = slurp(body_path .. ".token")
wrk.headers["x-onekey-instance-id"] = "6f1c2a8e-0b7d-4c1e-9a55-3d2f0e8b7c41"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  out_of_sync = 0
end

function response(status, headers, body)
  if status ~= 200 or not body:find('"code":0', 1, true) then
    bad = bad + 1
  elseif not body:find('"updated":[]', 1, true) then
    out_of_sync = out_of_sync + 1
  end
end

function done(summary, latency, requests)
  local b, o = 0, 0
  for _, t in ipairs(threads) do
    b = b + (t:get("bad") or 0)
    o = o + (t:get("out_of_sync") or 0)
  end
  io.write(string.format("check40: %d business errors, %d responses not in sync\n", b, o))
end
