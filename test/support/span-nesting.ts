// Every trace an e2e test reads back from Zipkin is checked for time nesting (issue 11, defect 3):
// within one process every span lies within its parent, or a timeline tells a story that did not
// happen (a gradio.predict that began before the request that submitted it). Spans of different
// services are not compared: each process has its own clock, and Zipkin corrects for skew itself.
// One exception is by design (docs/tracing-schema.md): a queued or /call prediction outlives the
// request that submitted it, so its gradio.predict may end after its SERVER parent; it still
// starts within it.
import type { ZipkinSpan } from './zipkin.js';

/** Zipkin times are integral microseconds, each rounded on its own: an end may move by this much. */
const ROUNDING_US = 2;

const outlivesParent = (s: ZipkinSpan) => /^gradio\.predict(\s|$)/.test(s.name ?? '') && s.tags?.['gradio.transport'] !== 'direct';

/** One sentence per child that does not lie within its parent (empty when all do). */
export function nestingViolations(spans: readonly ZipkinSpan[]): string[] {
  // The SERVER half of a shared span id (Zipkin's `shared`, a B3 join) is no one's parent.
  const byId = new Map<string, ZipkinSpan>();
  for (const s of spans) if (!s.shared) byId.set(s.id, s);
  const out: string[] = [];
  for (const child of spans) {
    if (!child.parentId || child.timestamp === undefined) continue;
    const parent = byId.get(child.parentId);
    if (!parent || parent === child || parent.timestamp === undefined) continue;
    if ((parent.localEndpoint?.serviceName ?? '') !== (child.localEndpoint?.serviceName ?? '')) continue;
    const what = `${child.name} (${child.id}) in ${parent.name} (${parent.id})`;
    if (child.timestamp < parent.timestamp - ROUNDING_US) out.push(`${what}: starts ${parent.timestamp - child.timestamp} µs before its parent`);
    if (outlivesParent(child) || child.duration === undefined || parent.duration === undefined) continue;
    const over = child.timestamp + child.duration - (parent.timestamp + parent.duration);
    if (over > ROUNDING_US) out.push(`${what}: ends ${over} µs after its parent`);
  }
  return out;
}

/** Throws with every violation of `spans` (what getTrace and findTraces call on what they read). */
export function assertNested(spans: readonly ZipkinSpan[], where: string): void {
  const v = nestingViolations(spans);
  if (v.length) throw new Error(`${where}: spans outside their parents (one clock, issue 11):\n  ${v.join('\n  ')}`);
}
