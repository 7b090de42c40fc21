// Splits an encoded OTLP/protobuf ExportTraceServiceRequest in two by spans, at the wire level, so
// a refused batch can be bisected without the span objects (the queue and the spool hold bytes).
// The messages involved (opentelemetry-proto, trace/v1 and collector/trace/v1):
//   ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
//   ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
//   ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
// Every other field is copied as its raw bytes, so nothing about a span changes.

const LEN = 2;

interface Field {
  readonly num: number;
  readonly type: number;
  /** The whole field, key included. */
  readonly raw: Uint8Array;
  /** A length-delimited field's payload. */
  readonly payload?: Uint8Array;
}

function varint(buf: Uint8Array, pos: number): [number, number] | undefined {
  let value = 0;
  let mul = 1;
  for (let i = pos; i < buf.length && i < pos + 10; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) return [value, i + 1];
  }
  return undefined;
}

/** The fields of one message, or undefined when it is not well-formed protobuf. */
function fields(buf: Uint8Array): Field[] | undefined {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const key = varint(buf, pos);
    if (!key) return undefined;
    const num = Math.floor(key[0] / 8);
    const type = key[0] % 8;
    pos = key[1];
    let payload: Uint8Array | undefined;
    switch (type) {
      case 0: { const v = varint(buf, pos); if (!v) return undefined; pos = v[1]; break; }
      case 1: pos += 8; break;
      case 5: pos += 4; break;
      case LEN: {
        const l = varint(buf, pos);
        if (!l || l[1] + l[0] > buf.length) return undefined;
        payload = buf.subarray(l[1], l[1] + l[0]);
        pos = l[1] + l[0];
        break;
      }
      default: return undefined;
    }
    if (pos > buf.length || num === 0) return undefined;
    out.push({ num, type, raw: buf.subarray(start, pos), payload });
  }
  return out;
}

function encodeVarint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) { out.push((n % 128) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return out;
}

function lenField(num: number, parts: readonly Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  return Buffer.concat([Uint8Array.from([...encodeVarint(num * 8 + LEN), ...encodeVarint(length)]), ...parts]);
}

/** A message as: the fields before its repeated field, that field's payloads, the fields after. */
interface Parts { readonly before: Uint8Array[]; readonly repeated: Uint8Array[]; readonly after: Uint8Array[] }
interface Scope extends Parts { readonly spans: Uint8Array[] }
interface Resource extends Parts { readonly scopes: Scope[] }

// Field order is kept, so a half is byte for byte what the serializer writes for those spans.
function partition(msg: Uint8Array, num: number): Parts | undefined {
  const fs = fields(msg);
  if (!fs) return undefined;
  const before: Uint8Array[] = [];
  const repeated: Uint8Array[] = [];
  const after: Uint8Array[] = [];
  for (const f of fs) {
    if (f.num === num) {
      if (f.type !== LEN || !f.payload) return undefined;
      repeated.push(f.payload);
    } else (repeated.length ? after : before).push(f.raw);
  }
  return { before, repeated, after };
}

function parse(body: Uint8Array): (Parts & { resources: Resource[] }) | undefined {
  const top = partition(body, 1);
  if (!top) return undefined;
  const resources: Resource[] = [];
  for (const rs of top.repeated) {
    const r = partition(rs, 2);
    if (!r) return undefined;
    const scopes: Scope[] = [];
    for (const ss of r.repeated) {
      const s = partition(ss, 2);
      if (!s) return undefined;
      scopes.push({ ...s, spans: s.repeated });
    }
    resources.push({ ...r, scopes });
  }
  return { ...top, resources };
}

/** The request holding only the spans with running index in [from, to). */
function slice(req: NonNullable<ReturnType<typeof parse>>, from: number, to: number): Uint8Array {
  let i = 0;
  const rsOut: Uint8Array[] = [];
  for (const r of req.resources) {
    const ssOut: Uint8Array[] = [];
    for (const s of r.scopes) {
      const spans = s.spans.filter(() => { const keep = i >= from && i < to; i++; return keep; });
      if (spans.length) ssOut.push(lenField(2, [...s.before, ...spans.map((sp) => lenField(2, [sp])), ...s.after]));
    }
    if (ssOut.length) rsOut.push(lenField(1, [...r.before, ...ssOut, ...r.after]));
  }
  return Buffer.concat([...req.before, ...rsOut, ...req.after]);
}

export function countOtlpProtobufSpans(body: Uint8Array): number | undefined {
  const req = parse(body);
  return req?.resources.reduce((n, r) => n + r.scopes.reduce((m, s) => m + s.spans.length, 0), 0);
}

export function splitOtlpProtobuf(body: Uint8Array): [{ body: Uint8Array; spans: number }, { body: Uint8Array; spans: number }] | undefined {
  const req = parse(body);
  if (!req) return undefined;
  const total = req.resources.reduce((n, r) => n + r.scopes.reduce((m, s) => m + s.spans.length, 0), 0);
  if (total < 2) return undefined;
  const mid = Math.ceil(total / 2);
  return [{ body: slice(req, 0, mid), spans: mid }, { body: slice(req, mid, total), spans: total - mid }];
}
