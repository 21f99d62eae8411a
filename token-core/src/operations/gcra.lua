-- One GCRA step for one key, atomically, on Redis's own clock (TIME): replicas whose clocks
-- disagree still count against one schedule. The arithmetic is governor's, in microseconds.
--
-- KEYS[1]: the client's key. ARGV[1]: the emission interval T (µs); ARGV[2]: the burst n.
-- The key holds the theoretical arrival time (TAT). A request is allowed when
-- now >= TAT - T * (n - 1); it then moves the TAT to max(TAT, now) + T. The key expires when
-- its TAT passes, when its state equals a fresh one.
-- Returns 0 when the request is allowed, else the microseconds until it would be.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tau = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1])) or now
local earliest = tat - tau
if now < earliest then
  return earliest - now
end
local next_tat = math.max(tat, now) + interval
-- '%.0f': Lua's own number-to-string conversion keeps 14 digits, too few for microseconds.
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000))
return 0
