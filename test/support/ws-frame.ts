// WebSocket frames as ws, the maintained implementation, writes them: for tests that feed frames
// to the proxy's frame reader or send them through the proxy.
import * as wsModule from 'ws';

/** One frame (FIN, opcode, mask as a client would). */
export function wsFrame(payload: string | Buffer, opts: { opcode: number; fin?: boolean; mask?: boolean; rsv1?: boolean }): Buffer {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  // ws exports its Sender at run time; its type definitions leave it out.
  const list = (wsModule as unknown as { Sender: { frame(data: Buffer, o: never): Buffer[] } }).Sender.frame(data, { fin: opts.fin ?? true, opcode: opts.opcode, mask: opts.mask ?? false, rsv1: opts.rsv1 ?? false, readOnly: false, maskKey: Buffer.from([1, 2, 3, 4]) } as never);
  return Buffer.concat(list as Buffer[]);
}
