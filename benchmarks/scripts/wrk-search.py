#!/usr/bin/env python3
"""Writes a wrk script that POSTs the searches of a dataset's query.fvecs in turn, for measuring
the REST server with a load generator that costs little CPU (wrk, Debian package `wrk`):

    python3 benchmarks/scripts/wrk-search.py ../shared/data/sift10k sift10k > /tmp/wrk-search.lua
    wrk -t1 -c8 -d30s -s /tmp/wrk-search.lua http://127.0.0.1:8080

The last line wrk prints is a JSON object (requests, rps, p50_ms, p99_ms, errors: non-2xx and
socket errors), as the benchmarks' summary lines are."""
import struct
import sys

if len(sys.argv) < 3:
    sys.exit("usage: wrk-search.py DATASET_DIR NAMESPACE [K] [N_QUERIES]")
dataset, namespace = sys.argv[1], sys.argv[2]
k = int(sys.argv[3]) if len(sys.argv) > 3 else 10
limit = int(sys.argv[4]) if len(sys.argv) > 4 else 100
raw = open(dataset + "/query.fvecs", "rb").read()
queries, at = [], 0
while at < len(raw) and len(queries) < limit:
    dim = struct.unpack_from("<i", raw, at)[0]
    queries.append(struct.unpack_from("<%df" % dim, raw, at + 4))
    at += 4 + 4 * dim
print("local bodies = {")
for q in queries:
    print('  [==[{"vector":[%s],"top_k":%d,"include_metadata":false}]==],' % (",".join(repr(float(x)) for x in q), k))
print("}")
print("local i = 0")
print('wrk.method = "POST"')
print('wrk.headers["Content-Type"] = "application/json"')
print("request = function()")
print("  i = i % #bodies + 1")
print('  return wrk.format(nil, "/v1/namespaces/%s/search", nil, bodies[i])' % namespace)
print("end")
print("""done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"tool":"wrk","requests":%d,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"errors":%d}\\n',
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.status + e.connect + e.read + e.write + e.timeout))
end""")
