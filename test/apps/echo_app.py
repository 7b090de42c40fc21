"""A tiny real Gradio app for the rig and foundation tests.

/echo:       Textbox -> (reversed text, length)       one queued prediction
/slow_count: Textbox -> Textbox, a generator that yields 3 values 0.3 s apart (SSE streaming)
/fail:       raises gr.Error (an app error)
/direct:     queue=False, answered by a direct POST

Port from GRADIO_SERVER_PORT (default 7860), bound to GRADIO_SERVER_NAME (default 127.0.0.1).
"""

import os
import time

import gradio as gr


def echo(text: str):
    return text[::-1], len(text)


def fail(text: str):
    raise gr.Error("this function always fails")


def direct(text: str):
    return text.upper()


def slow_count(text: str):
    for i in range(3):
        time.sleep(0.3)
        yield f"{text} {i}"


with gr.Blocks(title="echo") as demo:
    text_in = gr.Textbox(label="text")
    reversed_out = gr.Textbox(label="reversed")
    length_out = gr.Number(label="length")
    count_out = gr.Textbox(label="count")
    gr.Button("echo").click(echo, inputs=text_in, outputs=[reversed_out, length_out], api_name="echo")
    gr.Button("count").click(slow_count, inputs=text_in, outputs=count_out, api_name="slow_count")
    gr.Button("fail").click(fail, inputs=text_in, outputs=count_out, api_name="fail")
    # queue=False: the browser and clients call it with a direct POST (/run/predict, /gradio_api/run/direct).
    gr.Button("direct").click(direct, inputs=text_in, outputs=count_out, api_name="direct", queue=False)

if __name__ == "__main__":
    demo.queue().launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        share=False,
    )
