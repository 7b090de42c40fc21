"""A real Gradio app with the same interface as upstream-tts (the wire reference).

/synthesize: text, speed, noise_scale, noise_w -> audio (a generator: one yield per sentence,
a 0.3 s sine tone each, then the whole WAV). No Piper here: this app only shows how a real
Gradio answers /config, /gradio_api/info, queue/join, queue/data, call/, file= and heartbeat
for that signature, which test/upstream-tts/gradio-api/wire-parity.test.ts compares the worker
against.

Port from GRADIO_SERVER_PORT (default 7860), bound to GRADIO_SERVER_NAME (default 127.0.0.1).
"""

import math
import os
import re
import struct
import tempfile
import wave

import gradio as gr

RATE = 22050


def _tone(seconds: float, freq: float) -> bytes:
    n = int(RATE * seconds)
    return b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / RATE))) for i in range(n))


def _write(frames: bytes) -> str:
    fd, path = tempfile.mkstemp(suffix=".wav")
    os.close(fd)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(frames)
    return path


def synthesize(text: str, speed: float, noise_scale: float, noise_w: float):
    if not text.strip():
        raise gr.Error("text is empty")
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    frames = b""
    for i, _ in enumerate(sentences):
        chunk = _tone(0.3 / speed, 220.0 * (i + 1))
        frames += chunk
        if i < len(sentences) - 1:
            yield _write(chunk)
    yield _write(frames)


with gr.Blocks(title="upstream-tts") as demo:
    text = gr.Textbox(label="text", lines=3)
    speed = gr.Slider(0.25, 4.0, value=1.0, step=0.05, label="speed")
    noise_scale = gr.Slider(0.0, 1.0, value=0.667, step=0.001, label="noise_scale")
    noise_w = gr.Slider(0.0, 1.0, value=0.8, step=0.001, label="noise_w")
    audio = gr.Audio(label="audio", type="filepath")
    gr.Button("generate").click(
        synthesize, inputs=[text, speed, noise_scale, noise_w], outputs=audio, api_name="synthesize"
    )

if __name__ == "__main__":
    demo.queue(default_concurrency_limit=2, max_size=8).launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        share=False,
    )
