// Runs a full garbage collection in another Node process through its inspector (Chrome DevTools
// Protocol `HeapProfiler.collectGarbage`), so that a memory figure is taken after GC without
// changing the measured program: in its worker threads first (the sandbox's edge runs in one; each
// thread has a heap of its own, which the main thread's collection does not touch), then in its
// main thread. Usage: node --experimental-websocket collect-garbage.mjs <ws-url>
const socket = new WebSocket(process.argv[2]);
const timer = setTimeout(() => {
  console.error('no answer from the inspector within 30 s');
  process.exit(1);
}, 30_000);
const fail = (error) => {
  console.error(typeof error === 'string' ? error : JSON.stringify(error));
  process.exit(1);
};

let lastId = 0;
/** Answers by id: `main:<id>` for the main thread, `<sessionId>:<id>` for a worker's session. */
const waiting = new Map();
const workers = [];
const answer = (key, message) => {
  const resolve = waiting.get(key);
  waiting.delete(key);
  if (message.error) fail(message.error);
  resolve?.(message.result);
};
const call = (method, params = {}) =>
  new Promise((resolve) => {
    const id = ++lastId;
    waiting.set(`main:${id}`, resolve);
    socket.send(JSON.stringify({ id, method, params }));
  });
const callWorker = (sessionId, method) =>
  new Promise((resolve) => {
    const id = ++lastId;
    waiting.set(`${sessionId}:${id}`, resolve);
    const message = JSON.stringify({ id, method });
    socket.send(
      JSON.stringify({
        id: ++lastId,
        method: 'NodeWorker.sendMessageToWorker',
        params: { sessionId, message },
      }),
    );
  });

socket.addEventListener('message', (event) => {
  const message = JSON.parse(String(event.data));
  if (message.id !== undefined) answer(`main:${message.id}`, message);
  else if (message.method === 'NodeWorker.attachedToWorker') {
    workers.push(message.params.sessionId);
    if (process.env.COLLECT_GARBAGE_VERBOSE) console.error(JSON.stringify(message.params.workerInfo));
  } else if (message.method === 'NodeWorker.receivedMessageFromWorker') {
    const inner = JSON.parse(message.params.message);
    if (inner.id !== undefined) answer(`${message.params.sessionId}:${inner.id}`, inner);
  }
});
socket.addEventListener('error', () => fail('inspector connection failed'));
socket.addEventListener('open', async () => {
  // The workers that already run are reported (attachedToWorker) before enable answers.
  await call('NodeWorker.enable', { waitForDebuggerOnStart: false });
  for (const sessionId of workers) await callWorker(sessionId, 'HeapProfiler.collectGarbage');
  await call('HeapProfiler.collectGarbage');
  if (process.env.COLLECT_GARBAGE_VERBOSE)
    console.error(`collected in ${workers.length} workers and the main thread`);
  clearTimeout(timer);
  socket.close();
  process.exit(0);
});
