-- wrk script: a small non-streaming chat completion.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("BENCH_AUTHORIZATION") or "Bearer bench"
wrk.body = '{"messages":[{"role":"user","content":"Say hello in five words."}],"max_tokens":8,"ignore_eos":true}'

done = function(summary, latency, requests)
   local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout
   io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d requests=%d\n",
      summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
      latency:percentile(99) / 1000, errors, summary.requests))
   -- The same and more as one JSON object, for load-tests/bench.sh (latencies in ms; wrk measures in µs).
   local pcts = {}
   for _, p in ipairs({50, 75, 90, 95, 99, 99.9, 99.99}) do
      table.insert(pcts, string.format("[%g,%.3f]", p, latency:percentile(p) / 1000))
   end
   io.write(string.format('RESULT_JSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"errors":%d,'
      .. '"non_2xx":%d,"socket_errors":%d,"mean_ms":%.3f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,'
      .. '"p999_ms":%.3f,"max_ms":%.3f,"percentiles":[%s]}\n',
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), errors,
      summary.errors.status, errors - summary.errors.status, latency.mean / 1000, latency:percentile(50) / 1000,
      latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
      latency.max / 1000, table.concat(pcts, ",")))
end
