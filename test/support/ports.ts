import { readFileSync } from "node:fs";
import { connect, createServer } from "node:net";

/** A TCP port that was free on 127.0.0.1 a moment ago (the OS picked it for a port-0 listen). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}

/** The first port of the kernel's ephemeral range (port-0 listens and outgoing connections). */
export function ephemeralLow(): number {
  const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  return low ?? 32768;
}

/** Where quietPort() draws from: above the well-known and registered ports most programs use by default (7860, 8080, 9411…). */
export const QUIET_FROM = 10_000;

/**
 * A free port on 127.0.0.1 below the kernel's ephemeral range, for a program that binds it only
 * minutes later (the demo builds first) or binds it again after letting it go (export-resilience
 * stops its Zipkin for a minute). freePort()'s ports come from that range, as do the
 * source ports of every outgoing connection, so another test file running meanwhile can be handed
 * the same number and take it first (the demo once fronted another test's Gradio app that way).
 * Below the range only another caller of this function could; the start is random, so two
 * callers rarely meet, and a port is checked free before it is returned. One process never gets a
 * number twice: the demo binds its five only later, so "free" cannot tell them apart.
 */
const handedOut = new Set<number>();
export async function quietPort(): Promise<number> {
  const from = QUIET_FROM;
  const to = Math.max(from + 1000, ephemeralLow() - 20);
  for (let tries = 0; tries < 200; tries++) {
    const port = from + Math.floor(Math.random() * (to - from));
    if (handedOut.has(port) || !(await portFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port below the ephemeral range');
}

/**
 * A port on 127.0.0.1 that nothing listens on, for a test of a refused connection. From below the
 * ephemeral range, like quietPort(): a freePort() number can be handed to another test's listen(0)
 * before the test connects, and then the "refused" peer answers.
 */
export const closedPort = quietPort;

/** Whether `port` on 127.0.0.1 can be bound right now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Resolves once something accepts TCP connections on host:port; rejects after timeoutMs. */
export async function waitForPort(port: number, host = "127.0.0.1", timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() >= deadline) throw new Error(`${host}:${port} not accepting connections after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
