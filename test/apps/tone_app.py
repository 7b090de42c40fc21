"""A real Gradio app whose output is an audio file of a chosen length, for the output probe.

/tone: Number (seconds) -> Audio (filepath): a 16-bit mono 22050 Hz WAV sine of that length,
written with the standard library. 1 s (44 KB) is under the proxy's 256 KiB probe range; 10 s
(441 KB) is over it.

Port from GRADIO_SERVER_PORT (default 7860), bound to GRADIO_SERVER_NAME (default 127.0.0.1).
"""

import math
import os
import struct
import tempfile
import wave

import gradio as gr

RATE = 22050


def tone(seconds: float) -> str:
    n = int(RATE * float(seconds))
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / RATE))) for i in range(n))
    fd, path = tempfile.mkstemp(suffix=".wav")
    os.close(fd)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(frames)
    return path


with gr.Blocks() as demo:
    seconds = gr.Number(value=1, label="seconds")
    audio = gr.Audio(type="filepath", label="audio")
    gr.Button("make").click(tone, inputs=seconds, outputs=audio, api_name="tone")

if __name__ == "__main__":
    demo.queue().launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
    )
