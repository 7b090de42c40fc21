import test from 'ava';
import { parseDuration, parseReportArgs, ReportUsageError, runReport } from '../../../proxy/src/report/cli.js';
import { prediction } from '../../support/report-spans.js';

const NOW = Date.UTC(2026, 0, 1, 12);

test('durations: 90s, 30m, 1h, 2d, 1.5h; anything else is refused with the accepted forms', (t) => {
  t.is(parseDuration('90s'), 90_000);
  t.is(parseDuration('30m'), 1_800_000);
  t.is(parseDuration('1h'), 3_600_000);
  t.is(parseDuration('2d'), 172_800_000);
  t.is(parseDuration('1.5h'), 5_400_000);
  t.is(parseDuration('10M'), 600_000);
  for (const bad of ['', '1', 'h', '1w', '-1h', '0m', '1h30m', 'yesterday']) {
    t.throws(() => parseDuration(bad), { instanceOf: ReportUsageError, message: /90s, 30m, 1h, 2d|longer than 0/ }, bad);
  }
});

test('arguments: defaults, --until, ISO --since, and clear refusals', (t) => {
  t.deepEqual(parseReportArgs([], NOW), {
    zipkin: 'http://127.0.0.1:9411', service: 'tts-trace-proxy', startMs: NOW - 3_600_000, endMs: NOW, format: 'table', limit: 1000, baseline: 'stable', minSamples: 20,
  });
  const a = parseReportArgs(['--zipkin', 'http://z:9411/zipkin/', '--since', '30m', '--until', '2026-01-01T10:00:00Z', '--service', 'svc',
    '--format=markdown', '--limit', '50', '--baseline', 'blue', '--min-samples', '5'], NOW);
  t.deepEqual(a, {
    zipkin: 'http://z:9411', service: 'svc', startMs: Date.UTC(2026, 0, 1, 9, 30), endMs: Date.UTC(2026, 0, 1, 10), format: 'markdown', limit: 50, baseline: 'blue', minSamples: 5,
  });
  const iso = parseReportArgs(['--since', '2026-01-01T11:00:00.000Z', '--until', 'now', '--format', 'JSON'], NOW);
  t.is(iso !== 'help' && iso.startMs, Date.UTC(2026, 0, 1, 11));
  t.is(iso !== 'help' && iso.format, 'json');
  t.is(parseReportArgs(['--help'], NOW), 'help');

  const refused: [string[], RegExp][] = [
    [['--since', 'soon'], /--since: "soon" is neither a duration \(90s, 30m, 1h, 2d\) nor an ISO 8601 time/],
    [['--since', '2026-13-45T00:00:00Z'], /--since: .* is not a valid time/],
    [['--since', '2026-01-01T13:00:00Z'], /--since .* must be before --until/],
    [['--until', 'tomorrow'], /--until: "tomorrow" is neither "now" nor an ISO 8601 time/],
    [['--format', 'csv'], /--format: "csv" is not one of table, markdown, json/],
    [['--limit', '0'], /--limit: "0" must be an integer/],
    [['--limit', '2.5'], /--limit/],
    [['--zipkin', 'nope'], /--zipkin: "nope" is not a URL/],
    [['--service', ' '], /--service must not be empty/],
    [['--min-samples', '0'], /--min-samples: "0" must be an integer from 1/],
    [['--min-samples', 'many'], /--min-samples/],
    [['--bogus', '1'], /unknown option --bogus/],
    [['extra'], /unexpected argument "extra"/],
    [['--since'], /--since needs a value/],
  ];
  for (const [argv, message] of refused) t.throws(() => parseReportArgs(argv, NOW), { instanceOf: ReportUsageError, message }, argv.join(' '));
});

function io(fetchImpl?: typeof fetch) {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => { out.stdout += s; }, stderr: (s: string) => { out.stderr += s; }, now: () => NOW, fetch: fetchImpl } };
}

test('runReport: exit 2 on bad arguments, 1 when Zipkin fails, 0 with the report (or the no-data sentence)', async (t) => {
  const bad = io();
  t.is(await runReport(['--since', 'x'], bad.io), 2);
  t.regex(bad.out.stderr, /^tts-trace-proxy report: --since: "x"/);
  t.is(bad.out.stdout, '');

  const help = io();
  t.is(await runReport(['--help'], help.io), 0);
  t.regex(help.out.stdout, /usage: tts-trace-proxy report/);

  const down = io((async () => { throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }); }) as typeof fetch);
  t.is(await runReport(['--zipkin', 'http://127.0.0.1:1'], down.io), 1);
  t.is(down.out.stderr, 'tts-trace-proxy report: cannot reach Zipkin at http://127.0.0.1:1: ECONNREFUSED\n');

  const empty = io((async () => new Response('[]')) as typeof fetch);
  t.is(await runReport(['--service', 'svc'], empty.io), 0);
  t.regex(empty.out.stdout, /^No traces of service "svc"/);

  const spans = prediction({ service: 'svc', arm: 'stable', version: 'v1', startMs: NOW - 1000, processMs: 10 });
  const one = io((async () => new Response(JSON.stringify([spans]))) as typeof fetch);
  t.is(await runReport(['--service', 'svc', '--format', 'json'], one.io), 0);
  const json = JSON.parse(one.out.stdout) as { arms: { arm: string; predictions: number }[] };
  t.deepEqual(json.arms.map((a) => [a.arm, a.predictions]), [['stable', 1]]);
});
