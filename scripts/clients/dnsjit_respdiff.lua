-- dnsjit PATH N: N query/original/response triples into dnsjit.output.respdiff.
local ffi = require("ffi")
local object = require("dnsjit.core.objects")
local path, n = arg[2], tonumber(arg[3])
local respdiff = require("dnsjit.output.respdiff").new(path, "orig", "recv")
local recv, ctx = respdiff:receive()
local q, o, r = ffi.new("core_object_payload_t"), ffi.new("core_object_payload_t"), ffi.new("core_object_payload_t")
q.obj_type, o.obj_type, r.obj_type = object.PAYLOAD, object.PAYLOAD, object.PAYLOAD
q.obj_prev = ffi.cast("core_object_t*", o)
o.obj_prev = ffi.cast("core_object_t*", r)
local qo = ffi.cast("core_object_t*", q)
local function buf(s) local b = ffi.new("uint8_t[?]", #s); ffi.copy(b, s, #s); return b, #s end
for i = 1, n do
  local qb, ql = buf(string.format("query-%06d-", i) .. string.rep("q", i % 40))
  local ob, ol = buf(string.format("orig-%06d-", i) .. string.rep("o", (i * 37) % 600))
  local rb, rl = buf(string.format("resp-%06d-", i) .. string.rep("r", (i * 91) % 5000))
  q.payload, q.len, o.payload, o.len, r.payload, r.len = qb, ql, ob, ol, rb, rl
  recv(ctx, qo)
end
respdiff:commit(1700000000, 1700000100)
print("done", n)
