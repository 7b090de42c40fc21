// Content negotiation for /metrics. The registry renders OpenMetrics (the only format that can
// carry exemplars); a scraper that does not ask for it (curl, older agents) gets the classic
// Prometheus text format 0.0.4, derived from the same rendering. prom-client cannot render both
// from one registry: switching its type renames counters in place.
export const OPENMETRICS_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
export const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Whether the Accept header asks for OpenMetrics (with a non-zero q). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (type !== 'application/openmetrics-text') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** Index just past a sample's label set (`{...}`, quoted values may hold `}`), or of its name's end. */
function labelsEnd(line: string): number {
  const open = line.indexOf('{');
  const space = line.indexOf(' ');
  if (open < 0 || (space >= 0 && space < open)) return space < 0 ? line.length : space;
  let quoted = false;
  for (let i = open + 1; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') {
      quoted = true;
    } else if (c === '}') {
      return i + 1;
    }
  }
  return line.length;
}

/**
 * OpenMetrics -> Prometheus text: exemplars and `# EOF` go; a counter family is named with its
 * `_total` suffix, as its samples are (in OpenMetrics the family name has no suffix).
 */
export function toPrometheusText(openMetrics: string): string {
  const lines = openMetrics.split('\n');
  const counters = new Set<string>();
  for (const l of lines) {
    const m = /^# TYPE (\S+) counter$/.exec(l);
    if (m) counters.add(m[1]!);
  }
  const out: string[] = [];
  for (const l of lines) {
    if (l === '# EOF') continue;
    if (l.startsWith('# HELP ') || l.startsWith('# TYPE ')) {
      const name = l.slice(7, l.indexOf(' ', 7) < 0 ? undefined : l.indexOf(' ', 7));
      out.push(counters.has(name) ? `${l.slice(0, 7)}${name}_total${l.slice(7 + name.length)}` : l);
      continue;
    }
    if (l.startsWith('#') || l === '') {
      out.push(l);
      continue;
    }
    const end = labelsEnd(l);
    const exemplar = l.indexOf(' # ', end);
    out.push(exemplar < 0 ? l : l.slice(0, exemplar));
  }
  return out.join('\n');
}
