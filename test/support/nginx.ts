import { chmod, mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "./ports.js";
import { runScript, startProcess } from "./proc.js";

export interface NginxOptions {
  /** The port nginx proxies to, on 127.0.0.1 (the tracing proxy, or an app directly). */
  proxyPort: number;
  /** More proxy replicas behind the same nginx (balanced by client, as the template does), besides proxyPort. */
  moreProxyPorts?: readonly number[];
  /** client_max_body_size (default 200m, as scripts/render-nginx.sh). */
  clientMaxBodySize?: string;
}

export interface RunningNginx {
  url: string;
  port: number;
  /** The rendered config and its logs live here until stop(). */
  runtimeDir: string;
  stop(): Promise<void>;
  /** The JSON access-log lines written so far (nginx writes one when a request ends). */
  accessLogLines(): string[];
}

/**
 * Renders nginx/nginx.conf.template with scripts/render-nginx.sh (the only renderer) into a
 * temp runtime dir and runs Debian's nginx on it in the foreground.
 */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const runtimeDir = await mkdtemp(join(tmpdir(), "tts-nginx-"));
  // Workers run as `nobody` when the tests run as root; they need to reach the temp dirs.
  await chmod(runtimeDir, 0o755);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    NGINX_LISTEN: `127.0.0.1:${port}`,
    PROXY_ADDR: [options.proxyPort, ...(options.moreProxyPorts ?? [])].map((p) => `127.0.0.1:${p}`).join(','),
    NGINX_RUNTIME: runtimeDir,
  };
  if (options.clientMaxBodySize) env.CLIENT_MAX_BODY_SIZE = options.clientMaxBodySize;
  const conf = await runScript("render-nginx.sh", [runtimeDir], env);
  const nginx = await runScript("setup-nginx.sh");
  const errorLog = join(runtimeDir, "error.log");
  const proc = startProcess(nginx, ["-p", runtimeDir, "-e", errorLog, "-c", conf, "-g", "daemon off;"], {
    name: "nginx",
  });
  const logOf = (): string => {
    try {
      return readFileSync(errorLog, "utf8");
    } catch {
      return "";
    }
  };
  try {
    await Promise.race([
      waitForPort(port),
      proc.exited.then((code) => {
        throw new Error(`nginx exited (${code}) during start-up:\n${proc.output()}\n${logOf()}`);
      }),
    ]);
  } catch (err) {
    await proc.stop("SIGKILL");
    await rm(runtimeDir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    runtimeDir,
    async stop() {
      await proc.stop("SIGTERM");
      await rm(runtimeDir, { recursive: true, force: true });
    },
    accessLogLines() {
      try {
        return readFileSync(join(runtimeDir, "access.log"), "utf8").split("\n").filter((l) => l !== "");
      } catch {
        return [];
      }
    },
  };
}
