import test from 'ava';
import { Writable } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import { BatchedLines } from '../../proxy/src/access-log.js';

function recorder() {
  const writes: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { writes.push(chunk.toString()); cb(); } });
  return { writes, sink };
}

test('lines of one event-loop turn leave in one write, in order; the next turn\'s in another', async (t) => {
  const { writes, sink } = recorder();
  const lines = new BatchedLines(sink);
  lines.write('a\n');
  lines.write('b\n');
  lines.write('c\n');
  t.deepEqual(writes, [], 'nothing written within the turn');
  await turn();
  t.deepEqual(writes, ['a\nb\nc\n']);
  lines.write('d\n');
  await turn();
  t.deepEqual(writes, ['a\nb\nc\n', 'd\n']);
});

test('flush writes what is pending at once (shutdown), and nothing twice', async (t) => {
  const { writes, sink } = recorder();
  const lines = new BatchedLines(sink);
  lines.write('x\n');
  lines.flush();
  t.deepEqual(writes, ['x\n']);
  await turn();
  lines.flush();
  t.deepEqual(writes, ['x\n']);
});
