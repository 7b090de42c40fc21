import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { runScript, startProcess, waitForHttp, type RunningProcess } from "./proc.js";

export interface GradioAppOptions {
  /** Gradio version from PyPI (default: scripts/lib.sh GRADIO_VERSION). */
  version?: string;
  port?: number;
  env?: NodeJS.ProcessEnv;
  /** How long to wait for `/config` (default 120 s: the first import of gradio is slow). */
  timeoutMs?: number;
}

export interface RunningGradioApp {
  url: string;
  port: number;
  /** The venv's python, for gradio_client checks. */
  python: string;
  process: RunningProcess;
  stop(): Promise<void>;
}

/** Gradio's own line once its server is bound: the port in it is the one it listens on. */
const listening = (output: string, port: number): boolean =>
  new RegExp(`Running on local URL:\\s+https?://[^\\s/]+:${port}\\b`).test(output);
/** The bind failed because something else holds the port (Gradio's words, or the OS's). */
const portTaken = (output: string): boolean => /empty port|address already in use|Errno 98/i.test(output);

/**
 * Runs a real Gradio app script with the cached venv of that Gradio version (built by
 * scripts/setup-gradio.sh when missing) on 127.0.0.1 and waits until `GET /config` answers.
 */
export async function startGradioApp(scriptPath: string, options: GradioAppOptions = {}): Promise<RunningGradioApp> {
  const python = await runScript("setup-gradio.sh", options.version ? [options.version] : []);
  // A port that was free a moment ago can be taken (by another test's server) in the seconds
  // before Gradio binds it: then Gradio exits, and the next port is tried. An answer on the port
  // counts only after Gradio said it listens there, so the other server is never mistaken for it.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const tempDir = await mkdtemp(join(tmpdir(), "tts-gradio-"));
    const proc = startProcess(python, [scriptPath], {
      name: "gradio",
      env: {
        GRADIO_SERVER_NAME: "127.0.0.1",
        GRADIO_SERVER_PORT: String(port),
        GRADIO_ANALYTICS_ENABLED: "False",
        GRADIO_SHARE: "False",
        GRADIO_TEMP_DIR: tempDir,
        HF_HUB_DISABLE_TELEMETRY: "1",
        HF_HUB_OFFLINE: "1",
        PYTHONUNBUFFERED: "1",
        ...options.env,
      },
    });
    const url = `http://127.0.0.1:${port}`;
    const stop = async (): Promise<void> => {
      await proc.stop("SIGTERM");
      await rm(tempDir, { recursive: true, force: true });
    };
    try {
      await waitForHttp(`${url}/config`, { timeoutMs: options.timeoutMs ?? 120_000, process: proc, ready: () => listening(proc.output(), port) });
    } catch (err) {
      await stop();
      if (options.port === undefined && attempt < 3 && portTaken(proc.output())) continue;
      throw err;
    }
    return { url, port, python, process: proc, stop };
  }
}
