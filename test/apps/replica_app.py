"""A real Gradio app that says which replica served it, for the canary-routing tests.

/handle: (text, audio file) -> "<REPLICA_NAME>|<text length>|<file size>". The file must have been
uploaded to this same replica (each replica has its own GRADIO_TEMP_DIR), so a session whose
upload and join land on different replicas fails, as it would in production.
"""

import os

import gradio as gr

NAME = os.environ.get("REPLICA_NAME", "replica")


def handle(text: str, audio_path: str):
    size = os.path.getsize(audio_path) if audio_path else -1
    return f"{NAME}|{len(text)}|{size}"


with gr.Blocks(title=f"replica {NAME}") as demo:
    text = gr.Textbox(label="text")
    audio = gr.Audio(type="filepath", label="prompt")
    out = gr.Textbox(label="out")
    gr.Button("go").click(handle, inputs=[text, audio], outputs=out, api_name="handle")

if __name__ == "__main__":
    demo.queue(default_concurrency_limit=8).launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        share=False,
    )
