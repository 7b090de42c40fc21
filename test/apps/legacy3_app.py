"""A Gradio 3.x-style app without a queue: predictions are plain POSTs (/api/predict, /run/predict)
and audio travels inline as a base64 data URL. Used on a real Gradio 3.50.2."""

import os

import gradio as gr


def speak(text, audio_path):
    size = os.path.getsize(audio_path) if audio_path else -1
    return f"{len(text)}|{size}"


demo = gr.Interface(speak, [gr.Textbox(label="text"), gr.Audio(type="filepath", label="prompt")], gr.Textbox(label="out"))

if __name__ == "__main__":
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        share=False,
    )
