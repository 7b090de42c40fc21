"""Sessions of the official Python gradio_client against replica_app.py, one client per session,
each from its own client address (X-Forwarded-For), for test/e2e/canary.test.ts.

usage: python replica_sessions.py URL WAV FIRST COUNT
prints one JSON line per session: {"ip": ..., "out": ...} or {"ip": ..., "error": ...}
"""

import json
import sys

from gradio_client import Client, handle_file


def ip(i: int) -> str:
    return f"198.51.{100 + i // 250}.{i % 250 + 1}"


def main() -> None:
    url, wav, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    for i in range(first, first + count):
        try:
            client = Client(url, headers={"x-forwarded-for": ip(i)}, verbose=False)
            out = client.predict(f"session {i}", handle_file(wav), api_name="/handle")
            print(json.dumps({"ip": ip(i), "out": str(out)}), flush=True)
        except Exception as err:  # a failed session is a result, not the end of the run
            print(json.dumps({"ip": ip(i), "error": repr(err)}), flush=True)


if __name__ == "__main__":
    main()
