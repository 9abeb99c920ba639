// Preloaded into the jsii kernel by bench/memory_live.py (NODE_OPTIONS="--expose-gc --require ...").
// Every HEAP_PROBE_MS (while the kernel serves requests) it runs a full GC and appends V8's heap
// statistics, one JSON line, to HEAP_PROBE_FILE. Only in the kernel (lib/program.js), not in
// jsii's wrapper process.
'use strict';
const fs = require('fs');
const v8 = require('v8');

if (process.env.HEAP_PROBE_FILE && /program\.js$/.test(process.argv[1] || '') && typeof global.gc === 'function') {
  const mib = (n) => Math.round((n / 1048576) * 10) / 10;
  setInterval(() => {
    const before = v8.getHeapStatistics();
    global.gc();
    const after = v8.getHeapStatistics();
    const spaces = {};
    for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = mib(s.space_size);
    fs.appendFileSync(process.env.HEAP_PROBE_FILE, JSON.stringify({
      time: Date.now(), rss: mib(process.memoryUsage().rss), heap_size: mib(before.total_heap_size),
      used_before_gc: mib(before.used_heap_size), live_after_gc: mib(after.used_heap_size), spaces,
    }) + '\n');
  }, Number(process.env.HEAP_PROBE_MS || 250)).unref();
}
