// What the walk's browser tests share: a leader's staff socket and a test photo
// whose pixels the test knows.
import { deflateSync } from 'node:zlib';

/**
 * Sends staff messages from the moderator's page over a socket of its own (a
 * ticket with the page's session), as a leader's device would; returns the answers.
 */
export async function asStaff(page, dialogueId, messages) {
  return page.evaluate(async ({ dialogueId, messages }) => {
    const session = await fetch('/api/session').then((r) => r.json());
    const ticket = await fetch('/api/ws-ticket', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf },
      body: JSON.stringify({ dialogue_id: dialogueId }),
    }).then((r) => r.json());
    const ws = new WebSocket(`ws://${location.host}/ws`);
    const frames = [];
    const waiters = [];
    ws.onmessage = (m) => {
      const v = JSON.parse(m.data);
      frames.push(v);
      for (const w of waiters.splice(0)) w();
    };
    const next = (pred) => new Promise((resolve, reject) => {
      const check = () => {
        const found = frames.find(pred);
        if (found) return resolve(found);
        waiters.push(check);
      };
      setTimeout(() => reject(new Error('no answer')), 10000);
      check();
    });
    await new Promise((r) => { ws.onopen = r; });
    ws.send(JSON.stringify({ type: 'hello', v: 1, ticket: ticket.ticket }));
    const snapshot = await next((v) => v.type === 'snapshot');
    const answers = [];
    for (let i = 0; i < messages.length; i++) {
      let msg = messages[i];
      if (msg === 'approve_pending') {
        for (const q of snapshot.questions.filter((x) => x.status === 'pending')) {
          const id = `approve-${q.id}-${Date.now()}`;
          ws.send(JSON.stringify({ type: 'approve', client_msg_id: id, question_id: q.id, expected: 'pending' }));
          answers.push(await next((v) => v.client_msg_id === id));
        }
        continue;
      }
      const id = `m-${i}-${Date.now()}`;
      ws.send(JSON.stringify({ ...msg, client_msg_id: id }));
      answers.push(await next((v) => v.client_msg_id === id));
    }
    ws.close();
    return answers;
  }, { dialogueId, messages });
}


const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** The test photo: a black and white checkerboard of squares of this many pixels. */
export const SQUARE = 16;
const checker = (x, y) => ((Math.floor(x / SQUARE) + Math.floor(y / SQUARE)) % 2 ? 255 : 0);

/** A PNG of `width` × `height` pixels of the checkerboard. */
export function checkerPng(width = 320, height = 240) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) raw.fill(checker(x, y), row + 1 + x * 3, row + 4 + x * 3);
  }
  const head = Buffer.alloc(13);
  head.writeUInt32BE(width, 0);
  head.writeUInt32BE(height, 4);
  head.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', head), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}
