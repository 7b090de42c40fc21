// WebSocket bytes for fuzz cases (RFC 6455 §5.2). Written by hand, not with `ws`'s Sender
// (test/support/ws-frame.ts), because a hostile peer's frames are wanted too: reserved bits and
// opcodes, a client frame without a mask, a length that lies, a length in a longer form than it
// needs. Everything here is deterministic (a fixed mask key), so a printed case replays exactly.
import { constants, deflateRawSync } from 'node:zlib';

export interface FrameSpec {
  readonly payload: Buffer;
  readonly opcode: number;
  readonly fin?: boolean;
  readonly rsv1?: boolean;
  /** RSV2 and RSV3, which no extension here defines. */
  readonly rsvOther?: boolean;
  readonly mask?: boolean;
  /** Length field form: the shortest (default), or the 16- or 64-bit one whatever the size. */
  readonly lengthForm?: 'short' | '16' | '64';
  /** The length field claims this many bytes instead of the payload's. */
  readonly claimedLength?: bigint;
}

const MASK_KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

export function frame(f: FrameSpec): Buffer {
  const len = f.claimedLength ?? BigInt(f.payload.length);
  const form = f.lengthForm ?? 'short';
  const b0 = (f.fin === false ? 0 : 0x80) | (f.rsv1 ? 0x40 : 0) | (f.rsvOther ? 0x30 : 0) | (f.opcode & 0x0f);
  const maskBit = f.mask ? 0x80 : 0;
  let head: Buffer;
  if (form === 'short' && len < 126n) head = Buffer.from([b0, maskBit | Number(len)]);
  else if (form !== '64' && len < 65536n) {
    head = Buffer.alloc(4);
    head[0] = b0; head[1] = maskBit | 126; head.writeUInt16BE(Number(len), 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = b0; head[1] = maskBit | 127; head.writeBigUInt64BE(len & 0xffffffffffffffffn, 2);
  }
  if (!f.mask) return Buffer.concat([head, f.payload]);
  const masked = Buffer.alloc(f.payload.length);
  for (let i = 0; i < masked.length; i++) masked[i] = f.payload[i]! ^ MASK_KEY[i & 3]!;
  return Buffer.concat([head, MASK_KEY, masked]);
}

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * A message's payload as permessage-deflate sends it (RFC 7692 §7.2.1): raw deflate, flushed, the
 * trailing empty block's four bytes left off. Each message starts a fresh window, which a reader
 * that keeps its window between messages also accepts.
 */
export function deflateMessage(payload: Buffer): Buffer {
  const z = deflateRawSync(payload, { finishFlush: constants.Z_SYNC_FLUSH });
  return z.subarray(z.length - 4).equals(TRAILER) ? z.subarray(0, z.length - 4) : z;
}

let bomb: Buffer | undefined;
/** 96 MiB of spaces, deflated (about 95 KB): past the proxy's inflate budget per direction. */
export function deflateBomb(): Buffer {
  bomb ??= deflateMessage(Buffer.alloc(96 << 20, 0x20));
  return bomb;
}
