// Runs a full garbage collection in another Node process through its inspector (Chrome DevTools
// Protocol `HeapProfiler.collectGarbage`), so that a memory figure is taken after GC without
// changing the measured program. Usage: node --experimental-websocket collect-garbage.mjs <ws-url>
const socket = new WebSocket(process.argv[2]);
const timer = setTimeout(() => {
  console.error('no answer from the inspector within 30 s');
  process.exit(1);
}, 30_000);
socket.addEventListener('open', () =>
  socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })),
);
socket.addEventListener('message', (event) => {
  const message = JSON.parse(String(event.data));
  if (message.id !== 1) return;
  clearTimeout(timer);
  socket.close();
  if (message.error) {
    console.error(JSON.stringify(message.error));
    process.exit(1);
  }
  process.exit(0);
});
socket.addEventListener('error', () => {
  console.error('inspector connection failed');
  process.exit(1);
});
