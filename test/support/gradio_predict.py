"""One zero-shot prediction of examples/cosyvoice-webui with the official Python gradio_client.

usage: python gradio_predict.py URL --text T --prompt-wav F.wav --prompt-text P [--mode M]

Runs under the gradio_client of the venv it is started with (the one that ships with that
Gradio version). Prints one JSON object on stdout:
  client_version, ok, error (class + message when predict raised), result (the client's return
  value: a local path when it downloaded the output), outputs (the raw FileData values the
  client received before any download), downloads (each output download the client tried:
  url path, status), requests (every HTTP request the client made: method, path, status,
  ms since start; queue/join and upload bodies summarised), timings (connect_ms, predict_ms).
Nothing is asserted here: the caller (test/support/cosyvoice.ts) decides.
"""

import argparse
import json
import sys
import tempfile
import threading
import time
import traceback
from urllib.parse import urlsplit

import httpx

T0 = time.monotonic()
_lock = threading.Lock()
requests = []


def _ms():
    return round((time.monotonic() - T0) * 1000, 1)


def _summarise_body(path, request):
    if not (path.endswith("/queue/join") or "/call/" in path):
        return None
    try:
        body = json.loads(request.content.decode("utf-8"))
    except Exception:  # noqa: BLE001 - a summary only
        return None
    return body


_orig_handle = httpx.HTTPTransport.handle_request


def _logged_handle(self, request):
    split = urlsplit(str(request.url))
    path = split.path + ("?" + split.query if split.query else "")
    entry = {"method": request.method, "path": path, "start_ms": _ms()}
    if request.method == "POST" and split.path.endswith("/upload"):
        entry["upload_bytes"] = int(request.headers.get("content-length") or 0)
    else:
        body = _summarise_body(split.path, request) if request.method == "POST" else None
        if body is not None:
            entry["body"] = body
    with _lock:
        requests.append(entry)
    try:
        response = _orig_handle(self, request)
    except Exception as exc:  # noqa: BLE001
        entry["error"] = type(exc).__name__
        raise
    entry["status"] = response.status_code
    return response


httpx.HTTPTransport.handle_request = _logged_handle

import gradio_client  # noqa: E402  (after the transport hook)
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client import client as client_module  # noqa: E402

outputs = []
downloads = []
_orig_download = client_module.Endpoint._download_file


def _recording_download(self, x):
    outputs.append(dict(x))
    entry = {"path": x.get("path"), "url": x.get("url"), "is_stream": x.get("is_stream")}
    downloads.append(entry)
    try:
        local = _orig_download(self, x)
    except httpx.HTTPStatusError as exc:
        entry["status"] = exc.response.status_code
        raise
    entry["status"] = 200
    entry["local"] = local
    return local


client_module.Endpoint._download_file = _recording_download


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--text", required=True)
    parser.add_argument("--prompt-wav", required=True)
    parser.add_argument("--prompt-text", required=True)
    parser.add_argument("--mode", default="3s极速复刻")
    parser.add_argument("--speaker", default="中文女")
    args = parser.parse_args()

    out = {"client_version": gradio_client.__version__, "ok": False}
    download_dir = tempfile.mkdtemp(prefix="gradio-client-out-")
    t_connect = time.monotonic()
    client = Client(args.url, verbose=False, download_files=download_dir)
    out["timings"] = {"connect_ms": round((time.monotonic() - t_connect) * 1000, 1)}
    t_predict = time.monotonic()
    try:
        result = client.predict(
            args.text,                 # tts_text
            args.mode,                 # mode_checkbox_group
            args.speaker,              # sft_dropdown (ignored in clone modes; the UI sends its default)
            args.prompt_text,          # prompt_text
            handle_file(args.prompt_wav),  # prompt_wav_upload
            None,                      # prompt_wav_record
            "",                        # instruct_text
            0,                         # seed
            False,                     # stream
            1,                         # speed
            api_name="/generate_audio",
        )
        out["ok"] = True
        out["result"] = result
    except Exception as exc:  # noqa: BLE001 - reported to the caller
        out["error"] = {"type": type(exc).__name__, "message": str(exc)[:500],
                        "trace": traceback.format_exc()[-1500:]}
    out["timings"]["predict_ms"] = round((time.monotonic() - t_predict) * 1000, 1)
    out["outputs"] = outputs
    out["downloads"] = downloads
    try:
        client.close()  # stops the heartbeat thread (gradio_client >= 1.x)
    except Exception:  # noqa: BLE001
        pass
    time.sleep(0.2)
    with _lock:
        out["requests"] = list(requests)
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
