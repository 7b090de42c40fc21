// Proves the test rig itself: nginx rendered from nginx/nginx.conf.template, a real Gradio app
// driven by @gradio/client and gradio_client, and a real Zipkin. No proxy code is involved.
import test from "ava";
import { Client } from "@gradio/client";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { startGradioApp } from "../support/gradio.js";
import { startNginx } from "../support/nginx.js";
import { repoRoot } from "../support/proc.js";
import { findTraces, getTrace, postSpans, zipkinUrl, type ZipkinSpan } from "../support/zipkin.js";

const ECHO_APP = join(repoRoot, "test", "apps", "echo_app.py");
const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

/** A port-0 upstream that records requests, answers with X-Trace-Id, streams /sse, echoes /ws. */
async function startUpstream(): Promise<{ server: Server; port: number; seen: Seen[]; secondChunkAt: () => number }> {
  const seen: Seen[] = [];
  let secondChunkAt = 0;
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? "", headers: req.headers });
    req.resume();
    req.on("end", () => {
      if (req.url === "/sse") {
        res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "x-trace-id": TRACE_ID });
        res.write("data: 1\n\n");
        setTimeout(() => {
          secondChunkAt = Date.now();
          res.end("data: 2\n\n");
        }, 600);
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "x-trace-id": TRACE_ID });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  server.on("upgrade", (req, socket) => {
    seen.push({ url: req.url ?? "", headers: req.headers });
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { server, port, seen, secondChunkAt: () => secondChunkAt };
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("nginx from the template forwards with X-Request-Id, streams, upgrades and logs JSON", async (t) => {
  const upstream = await startUpstream();
  const nginx = await startNginx({ proxyPort: upstream.port });
  t.teardown(async () => {
    await nginx.stop();
    upstream.server.closeAllConnections();
    upstream.server.close();
  });

  const res = await fetch(`${nginx.url}/gradio_api/queue/data?session_hash=secret-session-hash`);
  t.is(res.status, 200);
  t.deepEqual(await res.json(), { ok: true });
  t.is(res.headers.get("x-trace-id"), TRACE_ID);

  const first = upstream.seen[0];
  t.truthy(first);
  const h = first!.headers;
  t.is(first!.url, "/gradio_api/queue/data?session_hash=secret-session-hash", "request line unchanged");
  t.regex(String(h["x-request-id"]), /^[0-9a-f]{32}$/);
  t.is(h.host, "127.0.0.1");
  t.is(h["x-forwarded-host"], `127.0.0.1:${nginx.port}`);
  t.is(h["x-forwarded-proto"], "http");
  t.is(h["x-forwarded-for"], "127.0.0.1");
  t.not(h.connection, "close", "keep-alive toward the proxy");

  const line = await waitFor(() => nginx.accessLogLines().find((l) => l.includes(String(h["x-request-id"]))));
  const entry = JSON.parse(line) as Record<string, unknown>;
  t.is(entry.request_id, h["x-request-id"]);
  t.is(entry.trace_id, TRACE_ID);
  t.is(entry.route, "/gradio_api/queue/data");
  t.is(entry.status, 200);
  t.is(typeof entry.request_time, "number");
  t.false(line.includes("secret-session-hash"), "no query string in the access log");

  // SSE: the first event reaches the client before the upstream has written the second.
  const sse = await fetch(`${nginx.url}/sse`);
  const reader = sse.body!.getReader();
  const firstChunk = await reader.read();
  const firstAt = Date.now();
  t.is(new TextDecoder().decode(firstChunk.value), "data: 1\n\n");
  let rest = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
  t.is(rest, "data: 2\n\n");
  t.true(firstAt < upstream.secondChunkAt(), "proxy_buffering off: first chunk flushed early");

  // WebSocket-style upgrade: 101 passes and bytes are tunnelled both ways.
  const echoed = await new Promise<string>((resolve, reject) => {
    const socket = connect(nginx.port, "127.0.0.1");
    let buf = "";
    let upgraded = false;
    socket.setTimeout(5_000, () => reject(new Error(`upgrade timed out: ${JSON.stringify(buf)}`)));
    socket.on("error", reject);
    socket.on("data", (d) => {
      buf += d.toString();
      if (!upgraded && buf.includes("\r\n\r\n")) {
        if (!buf.startsWith("HTTP/1.1 101")) return reject(new Error(`no 101: ${buf}`));
        upgraded = true;
        buf = buf.slice(buf.indexOf("\r\n\r\n") + 4);
        socket.write("ping");
      }
      if (upgraded && buf === "ping") {
        socket.destroy();
        resolve(buf);
      }
    });
    socket.write(
      "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
  });
  t.is(echoed, "ping");
  const ws = upstream.seen.find((s) => s.url === "/ws");
  t.is(ws?.headers.upgrade, "websocket");
  t.is(ws?.headers.connection, "upgrade");
});

test("nginx enforces CLIENT_MAX_BODY_SIZE", async (t) => {
  const upstream = await startUpstream();
  const nginx = await startNginx({ proxyPort: upstream.port, clientMaxBodySize: "1k" });
  t.teardown(async () => {
    await nginx.stop();
    upstream.server.close();
  });
  const small = await fetch(`${nginx.url}/gradio_api/upload`, { method: "POST", body: "x".repeat(512) });
  t.is(small.status, 200);
  await small.arrayBuffer();
  const big = await fetch(`${nginx.url}/gradio_api/upload`, { method: "POST", body: "x".repeat(4096) });
  t.is(big.status, 413);
  await big.arrayBuffer();
});

test("the echo Gradio app answers @gradio/client and gradio_client, directly and through nginx", async (t) => {
  const app = await startGradioApp(ECHO_APP);
  t.teardown(() => app.stop());
  const nginx = await startNginx({ proxyPort: app.port });
  t.teardown(() => nginx.stop());

  const config = (await (await fetch(`${app.url}/config`)).json()) as Record<string, unknown>;
  t.is(config.protocol, "sse_v3");
  t.is(config.api_prefix, "/gradio_api");

  const direct = await Client.connect(app.url);
  t.teardown(() => direct.close());
  const result = await direct.predict("/echo", { text: "hello" });
  t.deepEqual(result.data, ["olleh", 5]);

  // Through nginx: Gradio builds its root from X-Forwarded-Host.
  const viaConfig = (await (await fetch(`${nginx.url}/config`)).json()) as Record<string, unknown>;
  t.is(viaConfig.root, nginx.url);
  const via = await Client.connect(nginx.url);
  t.teardown(() => via.close());
  t.deepEqual((await via.predict("/echo", { text: "héllo wörld" })).data, ["dlröw olléh", 11]);
  const counted: unknown[] = [];
  for await (const message of via.submit("/slow_count", { text: "n" })) {
    if (message.type === "data") counted.push(message.data[0]);
    if (message.type === "status" && (message.stage === "complete" || message.stage === "error")) break;
  }
  t.deepEqual([...new Set(counted)], ["n 0", "n 1", "n 2"]);
  t.true(nginx.accessLogLines().some((l) => l.includes('"route":"/gradio_api/queue/join"')));

  // The Python client, through nginx.
  const py = await new Promise<string>((resolve, reject) =>
    execFile(
      app.python,
      [
        "-c",
        "import sys\nfrom gradio_client import Client\n" +
          "c = Client(sys.argv[1], verbose=False)\nprint(repr(c.predict('abc', api_name='/echo')))\n" +
          "print(repr(c.submit('p', api_name='/slow_count').result()))",
        nginx.url,
      ],
      { timeout: 60_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
  t.is(py.trim(), "('cba', 3)\n'p 2'");
});

test("Zipkin stores a posted span and getTrace/findTraces read it back", async (t) => {
  const base = await zipkinUrl();
  t.regex(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  const traceId = randomBytes(16).toString("hex");
  const span: ZipkinSpan = {
    traceId,
    id: randomBytes(8).toString("hex"),
    name: "get /rig",
    kind: "SERVER",
    timestamp: Date.now() * 1000,
    duration: 1234,
    localEndpoint: { serviceName: "rig-test" },
    tags: { "http.route": "/rig" },
  };
  await postSpans([span]);
  const spans = await getTrace(traceId, { minSpans: 1, settleMs: 100 });
  t.is(spans.length, 1);
  t.is(spans[0]!.id, span.id);
  t.is(spans[0]!.name, "get /rig");
  t.is(spans[0]!.tags?.["http.route"], "/rig");
  const traces = await findTraces({ serviceName: "rig-test", lookbackMs: 60_000 });
  t.true(traces.some((trace) => trace.some((s) => s.traceId === traceId)));
});

test("a Gradio app whose port another server took is never mistaken for that server", async (t) => {
  // Another test's server got the port between freePort() and Gradio's bind (seconds, under
  // load): it answers /config too, and the tests once ran against it (found beside stress-ng).
  const impostor = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"impostor":true}'));
  await new Promise<void>((r) => impostor.listen(0, "127.0.0.1", () => r()));
  t.teardown(() => impostor.close());
  const port = (impostor.address() as { port: number }).port;
  const err = await t.throwsAsync(startGradioApp(ECHO_APP, { port, timeoutMs: 60_000 }));
  t.regex(err!.message, /exited|not ready/);
});
