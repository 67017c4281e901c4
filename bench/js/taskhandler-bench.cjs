// The official Conductor JavaScript SDK's TaskHandler workers (no-op) against a Conductor server, for comparison with
// ConductorTools' WorkerRunner. Driven by ConductorTools.Bench.Workers (`server` mode), which registers the task type,
// starts the workflows and reads the RESULT line; runnable by hand too.
// Usage: node taskhandler-bench.cjs <serverUrl> <taskType> <count> <concurrency> <pollIntervalMs>
// Prints "READY" once the workers poll, then, after <count> task updates were accepted,
// "RESULT {json}" with wall time and CPU from startWorkers() to the last update, and, for workflows whose input has
// t0us (wall-clock microseconds when the workflow was started), start -> handler latencies in microseconds.
// The SDK is the one pinned in tests/ConductorTools.Server.Tests/js (npm ci there); CONDUCTOR_JS_DIR overrides.
"use strict";
const path = require("path");
const { createRequire } = require("module");
const { performance } = require("perf_hooks");

const sdkDir = process.env.CONDUCTOR_JS_DIR || path.join(__dirname, "..", "..", "tests", "ConductorTools.Server.Tests", "js");
const { OrkesClients, TaskHandler } = createRequire(path.join(sdkDir, "package.json"))("@io-orkes/conductor-javascript");

const [serverUrl, taskType, countText, concurrencyText, pollIntervalText] = process.argv.slice(2);
const count = Number(countText);
const concurrency = Number(concurrencyText || 10);
const pollInterval = Number(pollIntervalText || 100);

const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const quiet = { info() {}, debug() {}, warn: (...a) => console.error(...a), error: (...a) => console.error(...a) };

async function main() {
  const clients = await OrkesClients.from({ serverUrl, useEnvVars: false });
  const latenciesUs = [];
  let updated = 0;
  let failures = 0;
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  const handler = new TaskHandler({
    client: clients.getClient(),
    scanForDecorated: false,
    logger: quiet,
    healthMonitor: { enabled: false },
    eventListeners: [{
      onTaskUpdateCompleted() { if (++updated === count) done(); },
      onTaskUpdateFailure() { failures++; },
      onPollFailure() { failures++; },
    }],
    workers: [{
      taskDefName: taskType,
      concurrency,
      pollInterval,
      execute: async (task) => {
        const t0 = task.inputData && Number(task.inputData.t0us);
        if (t0 > 0) latenciesUs.push(nowUs() - t0);
        return { status: "COMPLETED", outputData: { ok: true } };
      },
    }],
  });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await handler.startWorkers();
  console.log("READY");
  await finished;
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await handler.stopWorkers();
  console.log("RESULT " + JSON.stringify({
    count, updated, failures, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, rssMb: process.memoryUsage().rss / 1048576, latenciesUs,
  }));
  process.exit(0);
}

main().catch((error) => {
  console.error("JS bench failed: " + (error && error.stack ? error.stack : error));
  process.exit(1);
});
