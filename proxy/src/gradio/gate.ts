// Gate mode (opt-in): hold a submission's body until its input rules are checked, and answer
// 422 instead of forwarding when one is violated. Submissions are small JSON (uploads are
// separate requests), so holding them is cheap; a body over the budget is not gated and flows
// on unchanged.
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import type { AppView, GradioContext } from './context.js';
import { analyseSubmission } from './exchange.js';
import { checkRules, type Violation } from './rules.js';
import { apiNameFromSegment } from './names.js';

const GATED = /^(?:\/gradio_api)?\/(?:queue\/join|call\/(?:v2\/)?\{api_name\}|run\/\{api_name\}|api\/\{api_name\})$/;

export function isGated(route: string, method: string): boolean {
  return method === 'POST' && GATED.test(route);
}

export interface GateResult {
  /** The body to forward (the exact bytes received). */
  readonly body: Readable;
  readonly violations: readonly Violation[];
}

export function gate(g: GradioContext, app: AppView, req: IncomingMessage, maxBytes: number): Promise<GateResult> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let decided = false;
    const passOn = () => {
      // Over budget: forward what was held, then the rest as it comes, with backpressure.
      decided = true;
      const out = new PassThrough();
      for (const p of parts) out.write(p);
      req.off('data', onData);
      req.pipe(out);
      resolve({ body: out, violations: [] });
    };
    const onData = (c: Buffer) => {
      parts.push(c);
      size += c.length;
      if (size > maxBytes && !decided) passOn();
    };
    req.on('data', onData);
    req.on('end', async () => {
      if (decided) return;
      decided = true;
      const body = Buffer.concat(parts, size);
      let violations: Violation[] = [];
      try {
        const parsed = JSON.parse(body.toString('utf8')) as { data?: unknown; fn_index?: unknown };
        const api = /\/(?:call\/(?:v2\/)?|run\/|api\/)([^/?]+)/.exec(req.url ?? '')?.[1];
        const isV2 = /\/call\/v2\//.test(req.url ?? '');
        const { facts } = await analyseSubmission(g, app, {
          fnIndex: typeof parsed.fn_index === 'number' ? parsed.fn_index : undefined,
          apiName: apiNameFromSegment(api),
          data: (isV2 ? parsed : parsed.data) as never,
        });
        violations = checkRules(facts, g.options);
      } catch {
        // Not JSON we understand: the app will answer it; the gate only rejects what it can prove.
      }
      const out = new PassThrough();
      out.end(body);
      resolve({ body: out, violations });
    });
  });
}
