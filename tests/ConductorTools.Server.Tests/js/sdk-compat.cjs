// Runs the official Conductor JavaScript SDK (@io-orkes/conductor-javascript) against a Conductor server:
// definitions, starts, TaskHandler workers to completion, terminal failures, retry/terminate/restart/pause/resume,
// search, task logs, queue sizes, signals and updates by reference name. Prints "JS SDK OK" and exits 0 on success.
// Usage: node sdk-compat.cjs <serverUrl> [keyId keySecret]
"use strict";
const { OrkesClients, TaskHandler, NonRetryableException } = require("@io-orkes/conductor-javascript");

const [serverUrl, keyId, keySecret] = process.argv.slice(2);
const suffix = `${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
const greet = `js_greet_${suffix}`;
const fail = `js_fail_${suffix}`;

function check(condition, message) {
  if (!condition) throw new Error("Check failed: " + message);
}

async function waitFor(describe, probe, timeoutMs = 30000) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    last = await probe();
    if (last.done) return last.value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${describe}; last seen: ${JSON.stringify(last && last.value)}`);
}

async function statusOf(workflows, id) {
  return (await workflows.getWorkflow(id, true)).status;
}

async function main() {
  const clients = await OrkesClients.from({ serverUrl, keyId, keySecret, useEnvVars: false });
  const metadata = clients.getMetadataClient();
  const workflows = clients.getWorkflowClient();
  const tasks = clients.getTaskClient();

  await metadata.registerTasks([
    { name: greet, retryCount: 0, timeoutSeconds: 60, responseTimeoutSeconds: 30, ownerEmail: "js@example.com" },
    { name: fail, retryCount: 2, retryDelaySeconds: 0, timeoutSeconds: 60, responseTimeoutSeconds: 30, ownerEmail: "js@example.com" },
  ]);
  check((await metadata.getTask(greet)).responseTimeoutSeconds === 30, "task def round trip");

  const flow = `js_flow_${suffix}`;
  await metadata.registerWorkflowDef({
    name: flow, version: 1, schemaVersion: 2, ownerEmail: "js@example.com",
    tasks: [{ name: greet, taskReferenceName: "greet_ref", type: "SIMPLE", inputParameters: { name: "${workflow.input.name}" } }],
    outputParameters: { result: "${greet_ref.output.result}" },
  }, true);
  const failing = `js_failing_${suffix}`;
  await metadata.registerWorkflowDef({
    name: failing, version: 1, schemaVersion: 2, ownerEmail: "js@example.com",
    tasks: [{ name: fail, taskReferenceName: "fail_ref", type: "SIMPLE" }],
  }, true);
  const waiting = `js_wait_${suffix}`;
  await metadata.registerWorkflowDef({
    name: waiting, version: 1, schemaVersion: 2, ownerEmail: "js@example.com",
    tasks: [
      { name: "approve", taskReferenceName: "approve_ref", type: "WAIT" },
      { name: "confirm", taskReferenceName: "confirm_ref", type: "WAIT" },
    ],
  }, true);
  check((await metadata.getWorkflowDef(flow, 1)).tasks.length === 1, "workflow def round trip");

  const ids = [];
  for (let i = 0; i < 5; i++) {
    ids.push(await workflows.startWorkflow({ name: flow, version: 1, input: { name: `n${i}` }, correlationId: `js-${suffix}` }));
  }
  check(ids.every((id) => typeof id === "string" && id.length > 0 && !id.startsWith('"')), "start returns plain ids");

  const handler = new TaskHandler({
    client: clients.getClient(),
    scanForDecorated: false,
    workers: [
      {
        taskDefName: greet, concurrency: 2, pollInterval: 50,
        execute: async (task) => ({ status: "COMPLETED", outputData: { result: `Hello ${task.inputData.name}` } }),
      },
      {
        taskDefName: fail, pollInterval: 50,
        execute: async () => { throw new NonRetryableException("bad input, do not retry"); },
      },
    ],
  });
  await handler.startWorkers();
  const failedId = await workflows.startWorkflow({ name: failing, version: 1, input: {} });
  try {
    for (const [i, id] of ids.entries()) {
      const done = await waitFor(`workflow ${id} to complete`, async () => {
        const wf = await workflows.getWorkflow(id, true);
        return { done: wf.status === "COMPLETED", value: wf.status };
      });
      const wf = await workflows.getWorkflow(id, true);
      check(wf.output.result === `Hello n${i}`, `output of ${id} is ${JSON.stringify(wf.output)}`);
      void done;
    }
    // Synchronous execution (POST /api/workflow/execute/{name}/{version}), as in the SDK's own quickstart.
    const run = await workflows.executeWorkflow({ name: flow, version: 1, input: { name: "sync" } }, flow, 1, `req-${suffix}`);
    check(run.status === "COMPLETED" && run.output.result === "Hello sync", "execute waits for the result: " + JSON.stringify(run));
    await waitFor("the failing workflow to fail", async () => {
      const status = await statusOf(workflows, failedId);
      return { done: status === "FAILED", value: status };
    });
  } finally {
    await handler.stopWorkers();
  }
  // stopWorkers does not wait for polls already in flight; let them end before retrying, or one may take the retried task.
  await new Promise((r) => setTimeout(r, 1500));
  const failedWf = await workflows.getWorkflow(failedId, true);
  check(failedWf.tasks.length === 1 && failedWf.tasks[0].status === "FAILED_WITH_TERMINAL_ERROR",
    "a NonRetryableException is a terminal failure without retries: " + JSON.stringify(failedWf.tasks.map((t) => t.status)));

  // JSON_JQ_TRANSFORM, the system task of the Conductor docs: registered, run synchronously, conductor-oss's output shape.
  const jq = `js_jq_${suffix}`;
  await metadata.registerWorkflowDef({
    name: jq, version: 1, schemaVersion: 2, ownerEmail: "js@example.com",
    tasks: [{
      name: "jq_step", taskReferenceName: "jq_ref", type: "JSON_JQ_TRANSFORM",
      inputParameters: { items: "${workflow.input.items}", queryExpression: ".items | map(select(.qty > 0)) | {count: length, names: map(.name)}" },
    }],
    outputParameters: { picked: "${jq_ref.output.result}", all: "${jq_ref.output.resultList}" },
  }, true);
  const jqRun = await workflows.executeWorkflow({ name: jq, version: 1, input: { items: [{ name: "a", qty: 2 }, { name: "b", qty: 0 }, { name: "c", qty: 5 }] } }, jq, 1, `jq-${suffix}`);
  check(jqRun.status === "COMPLETED" && jqRun.output.picked.count === 2 && jqRun.output.picked.names.join(",") === "a,c"
    && jqRun.output.all.length === 1, "JSON_JQ_TRANSFORM result/resultList: " + JSON.stringify(jqRun.output));
  let badJq = null;
  try {
    await metadata.registerWorkflowDef({
      name: `${jq}_bad`, version: 1, schemaVersion: 2, ownerEmail: "js@example.com",
      tasks: [{ name: "jq_bad", taskReferenceName: "jq_bad_ref", type: "JSON_JQ_TRANSFORM", inputParameters: { queryExpression: ".a | {" } }],
    }, true);
  } catch (e) {
    badJq = e;
  }
  check(badJq !== null && /Validation failed/.test(String(badJq.message || badJq)), "an invalid jq filter is refused at registration (a 400): " + String(badJq));

  // Lifecycle operations.
  await workflows.retry(failedId, false);
  check(await statusOf(workflows, failedId) === "RUNNING", "retry resumes the workflow");
  await workflows.pause(failedId);
  check(await statusOf(workflows, failedId) === "PAUSED", "pause");
  await workflows.resume(failedId);
  const resumed = await statusOf(workflows, failedId);
  check(resumed === "RUNNING", "resume: " + resumed);
  await workflows.terminate(failedId, "terminated from js");
  const terminated = await workflows.getWorkflow(failedId, false);
  check(terminated.status === "TERMINATED" && terminated.reasonForIncompletion === "terminated from js", "terminate with reason");
  await workflows.restart(failedId, false);
  check(await statusOf(workflows, failedId) === "RUNNING", "restart");
  await workflows.terminate(failedId, "done");

  // Search.
  const found = await waitFor("search to see the completed workflows", async () => {
    const result = await workflows.search(0, 10, `workflowType = '${flow}' AND status IN (COMPLETED)`, "*");
    return { done: result.totalHits === 6, value: result }; // five started + one executed synchronously
  });
  check(found.results.every((s) => s.workflowType === flow && s.status === "COMPLETED"), "search hits are summaries");

  // Tasks: logs, queue sizes, poll data.
  const doneWf = await workflows.getWorkflow(ids[0], true);
  const taskId = doneWf.tasks[0].taskId;
  check((await tasks.getTask(taskId)).status === "COMPLETED", "get task");
  await tasks.addTaskLog(taskId, "hello from js");
  const logs = await tasks.getTaskLogs(taskId);
  check(logs.some((l) => String(l.log).includes("hello from js")), "task log round trip: " + JSON.stringify(logs));
  const sizes = await tasks.getQueueSizeForTask([greet]);
  check(sizes[greet] === 0, "queue drained: " + JSON.stringify(sizes));
  const pollData = await tasks.getTaskPollData(greet);
  check(Array.isArray(pollData) && pollData.length > 0, "poll data recorded");

  // WAIT tasks completed by reference name and by signal. Conductor stores the request body as the task output; this SDK's
  // signalAsync wraps the output as {taskOutput: ...} in that body, so that is what a real server stores too.
  const waitId = await workflows.startWorkflow({ name: waiting, version: 1, input: {} });
  await workflows.updateTaskByRefName("approve_ref", waitId, "COMPLETED", { approvedBy: "js" });
  await workflows.signalAsync(waitId, "COMPLETED", { confirmed: true });
  const waited = await workflows.getWorkflow(waitId, true);
  check(waited.status === "COMPLETED", "wait workflow completed: " + waited.status);
  check(waited.tasks[0].outputData.approvedBy === "js" && waited.tasks[1].outputData.taskOutput.confirmed === true, "wait outputs: " + JSON.stringify(waited.tasks.map((t) => t.outputData)));

  // Synchronous signal (POST /tasks/{id}/{status}/signal/sync): BLOCKING_TASK answers the task the workflow now waits on,
  // TARGET_WORKFLOW the workflow itself once it ends.
  const syncId = await workflows.startWorkflow({ name: waiting, version: 1, input: {} });
  const blocking = await workflows.signal(syncId, "COMPLETED", { step: 1 }, "BLOCKING_TASK");
  check(blocking.isBlockingTask() && blocking.getBlockingTask().referenceTaskName === "confirm_ref",
    "signal BLOCKING_TASK answers the next WAIT: " + JSON.stringify(blocking));
  const ended = await workflows.signal(syncId, "COMPLETED", { step: 2 });
  check(ended.isTargetWorkflow() && ended.getWorkflow().status === "COMPLETED" && ended.getTargetWorkflowId() === syncId,
    "signal TARGET_WORKFLOW answers the completed workflow: " + JSON.stringify(ended));

  // Errors surface as rejections.
  let rejected = null;
  try {
    await workflows.getWorkflow("no-such-workflow-id", true);
  } catch (e) {
    rejected = e;
  }
  check(rejected !== null, "an unknown workflow id rejects");
  check(/404|not found|no such workflow/i.test(String(rejected && (rejected.message || rejected))), "the rejection says not found: " + rejected);

  console.log("JS SDK OK");
}

main().then(() => process.exit(0), (error) => {
  console.error("JS SDK FAILED: " + (error && error.stack ? error.stack : error));
  process.exit(1);
});
