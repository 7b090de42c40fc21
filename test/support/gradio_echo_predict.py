"""Runs echo_app predictions with this venv's gradio_client (the one shipped with the app's Gradio
version, so old protocols are spoken for real). Prints one JSON line: the results."""
import json
import sys

from gradio_client import Client

client = Client(sys.argv[1], verbose=False)
out = {
    "echo": list(client.predict(sys.argv[2], api_name="/echo")),
    "slow_count": client.predict("n", api_name="/slow_count"),
}
print(json.dumps(out, ensure_ascii=False))
