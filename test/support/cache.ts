import { homedir } from "node:os";
import { join } from "node:path";

/** Downloads and virtualenvs live here, outside the repo (same rule as scripts/lib.sh). */
export function cacheDir(): string {
  return process.env.TTS_TRACE_PROXY_CACHE || join(homedir(), ".cache", "tts-trace-proxy");
}
