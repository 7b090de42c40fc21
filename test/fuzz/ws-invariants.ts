// The invariants of one websocket session: the handshake reached the app as sent, the 101 reached
// the client as the app wrote it, every byte after them arrived in each direction as sent (a reset
// may cut the resetting side's last bytes short, never alter them), and whichever side ended the
// session, the other side's connection closed within the grace.
import { checkRequest, connectionListed, describeBody, firstDifference, headerDiff, HOP_BY_HOP, pairs, PROXY_OWNED, RESPONSE_ADDED, type Failure, type Mode } from './invariants.js';
import type { WsSession } from './model.js';
import { handshakeRequest, type WsResult } from './ws-client.js';
import type { WsRecord } from './ws-upstream.js';
import { latin1 } from './wire.js';

function direction(where: string, sent: Buffer, arrived: Buffer, mayBeCut: boolean): Failure[] {
  if (arrived.equals(sent)) return [];
  const prefix = arrived.length < sent.length && sent.subarray(0, arrived.length).equals(arrived);
  if (prefix && mayBeCut) return [];
  const what = prefix ? 'cut short' : 'altered';
  return [{ invariant: 'bytes', signature: `websocket bytes to the ${where} ${what}`, detail: `websocket, to the ${where}: sent ${describeBody(sent)}, arrived ${describeBody(arrived)} (first difference at byte ${firstDifference(sent, arrived)})` }];
}

export function checkWebsocket(s: WsSession, res: WsResult, rec: WsRecord | undefined, graceMs: number, mode: Mode): Failure[] {
  if (!rec) {
    if (res.timedOut && !res.head) return [{ invariant: 'answer', signature: 'hang: a websocket handshake never reached the app nor got an answer', detail: `${s.path}: nothing after ${graceMs} ms` }];
    return [{ invariant: 'answer', signature: 'websocket handshake not forwarded', detail: `${s.path}: answered ${res.head?.status ?? 'nothing'} without reaching the app` }];
  }
  const out = checkRequest(handshakeRequest(s), res.id, rec.handshake, mode);
  if (!res.head) return [...out, { invariant: 'answer', signature: 'websocket handshake unanswered', detail: `${s.path}: the app switched protocols; the client got ${res.got.length ? describeBody(res.got) : 'nothing'}` }];
  if (res.head.status !== 101) return [...out, { invariant: 'bytes', signature: 'websocket 101 replaced', detail: `the app answered 101, the client got ${res.head.status}` }];
  const listed = connectionListed(rec.head);
  const skip = mode.direct ? () => false : (n: string) => HOP_BY_HOP.includes(n) || listed.has(n) || PROXY_OWNED.includes(n);
  const mayAdd = mode.direct ? () => false : (n: string) => RESPONSE_ADDED.includes(n) || HOP_BY_HOP.includes(n);
  out.push(...headerDiff('websocket 101', rec.head, pairs(res.head.headers), skip, mayAdd));
  if (!/\bwebsocket\b/i.test(pairs(res.head.headers).find(([k]) => k.toLowerCase() === 'upgrade')?.[1] ?? '')) {
    out.push({ invariant: 'bytes', signature: 'websocket 101 without Upgrade: websocket', detail: `101 fields: ${JSON.stringify(res.head.headers).slice(0, 300)}` });
  }
  out.push(...direction('client', latin1(s.serverBytes), res.got, s.end === 'server-reset'));
  out.push(...direction('app', latin1(s.clientBytes), Buffer.concat(rec.received), s.end === 'client-reset'));
  if (res.timedOut) {
    out.push({ invariant: 'answer', signature: `hang: the client's websocket still open (${s.end})`, detail: `${s.path}: the client's connection did not close by the deadline; the app's ${rec.closedAt ? 'closed' : 'did not close either'}` });
    return out;
  }
  // Who acted, and who must then see the close.
  const byClient = s.end === 'client-end' || s.end === 'client-reset';
  const acted = byClient ? res.endedAt : rec.endedAt;
  const other = byClient ? rec.closedAt : res.closedAt;
  if (acted === undefined) {
    out.push({ invariant: 'close', signature: `websocket closed before the ${byClient ? 'client' : 'app'} ended it (${s.end})`, detail: `${s.path}: the session closed with neither side ending it` });
  } else if (other === undefined || other - acted > graceMs) {
    out.push({ invariant: 'close', signature: `websocket left open on the ${byClient ? 'app' : 'client'}'s side after ${s.end}`, detail: `${s.path}: no close within ${graceMs} ms of the ${byClient ? 'client' : 'app'}'s ${s.end.split('-')[1]}` });
  }
  return out;
}
