// A websocket peer written with the npm `ws` package, to test percore against a client and a server nobody on the
// project wrote. Prints one JSON line per check and exits 0 only when every check passed.
//
//   node ws-peer.mjs client ws://127.0.0.1:PORT/ws   talks to percore's echo: boundary payloads both ways, text
//                                                     and binary, a fragmented message, ping/pong, close 4000
//   node ws-peer.mjs server                           an echo server on 127.0.0.1 (prints "listening PORT"); it
//                                                     reports each close it sees and exits when stdin closes
import { WebSocket, WebSocketServer } from 'ws';
import { randomBytes } from 'node:crypto';

const SIZES = [0, 125, 126, 65535, 65536, 1 << 20];
let failed = 0;

function report(check, ok, detail) {
  if (!ok) failed++;
  console.log(JSON.stringify({ check, ok, detail: detail ?? '' }));
}

function nextMessage(ws) {
  return new Promise((resolve, reject) => {
    const onMessage = (data, isBinary) => { cleanup(); resolve({ data, isBinary }); };
    const onClose = (code) => { cleanup(); reject(new Error('closed ' + code)); };
    const cleanup = () => { ws.off('message', onMessage); ws.off('close', onClose); };
    ws.on('message', onMessage);
    ws.on('close', onClose);
  });
}

async function client(url) {
  const timer = setTimeout(() => { report('finished in time', false); process.exit(1); }, 30000);
  const ws = new WebSocket(url, ['other', 'echo'], { maxPayload: 64 << 20 });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  report('handshake chose subprotocol echo', ws.protocol === 'echo', 'protocol=' + ws.protocol);
  for (const size of SIZES) {
    const bytes = randomBytes(size);
    ws.send(bytes, { binary: true });
    const b = await nextMessage(ws);
    report('binary ' + size, b.isBinary && Buffer.compare(Buffer.from(b.data), bytes) === 0, 'got ' + b.data.length);
    const text = 'é'.repeat(size >> 1) + (size & 1 ? 'a' : '');
    ws.send(text);
    const t = await nextMessage(ws);
    report('text ' + size, !t.isBinary && t.data.toString('utf8') === text, 'got ' + t.data.length);
  }
  ws.send('frag-', { fin: false });
  ws.send('ment', { fin: true });
  const f = await nextMessage(ws);
  report('fragmented message', f.data.toString('utf8') === 'frag-ment', f.data.toString('utf8'));
  const pong = new Promise((resolve) => ws.once('pong', (data) => resolve(data)));
  ws.ping(Buffer.from('are you there'));
  const p = await pong;
  report('pong echoes ping payload', p.toString() === 'are you there', p.toString());
  const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.close(4000, 'bye');
  const c = await closed;
  report('close 4000 echoed', c.code === 4000, JSON.stringify(c));
  clearTimeout(timer);
  process.exit(failed === 0 ? 0 : 1);
}

function server() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 << 20 });
  wss.on('listening', () => console.log('listening ' + wss.address().port));
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('close', (code, reason) => console.log(JSON.stringify({ closed: code, reason: reason.toString() })));
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

const [mode, url] = process.argv.slice(2);
if (mode === 'client') {
  client(url).catch((e) => { report('no exception', false, String(e)); process.exit(1); });
} else if (mode === 'server') {
  server();
} else {
  console.error('usage: node ws-peer.mjs client URL | server');
  process.exit(2);
}
