# A stand-in for CosyVoice's web UI (FunAudioLLM/CosyVoice @ ace7c47, webui.py) with the same
# Gradio interface: the same components, in the same order, with the same types, labels, choices
# and defaults; the same three event handlers; the same queue settings. The speech comes from a
# real Piper voice (piper-tts from PyPI) instead of a CosyVoice model, so it runs on a small CPU.
#
# What differs from CosyVoice, on purpose:
#   * every mode speaks the text with the one Piper voice (no cloning, no instructions); the
#     prompt audio is still read (sample rate, duration) and validated as CosyVoice does;
#   * a prompt longer than 30 s raises gr.Error (CosyVoice's frontend fails on an assert there);
#   * test hooks, off unless their environment variable is set:
#       EXAMPLE_DELAY_S=<seconds>   sleep that long at the start of generate_audio (queue tests)
#       EXAMPLE_RAISE_TEXT=<text>   generate_audio raises gr.Error when tts_text equals <text>
#
# Voice: PIPER_VOICE (path of a Piper .onnx with its .onnx.json beside it), else --voice, else
# ${TTS_TRACE_PROXY_CACHE:-~/.cache/tts-trace-proxy}/voices/en_US-joe-medium.onnx, which
# scripts/setup-voice.sh downloads. Runs under Gradio 4.44.1, 5.4.0 (CosyVoice's pin) and 6.x.
import argparse
import logging
import os
import random
import sys
import time
import wave

import gradio as gr
import numpy as np
from piper import PiperVoice, SynthesisConfig

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
log = logging.getLogger("cosyvoice-webui-example")

inference_mode_list = ['预训练音色', '3s极速复刻', '跨语种复刻', '自然语言控制']
instruct_dict = {'预训练音色': '1. 选择预训练音色\n2. 点击生成音频按钮',
                 '3s极速复刻': '1. 选择prompt音频文件，或录入prompt音频，注意不超过30s，若同时提供，优先选择prompt音频文件\n2. 输入prompt文本\n3. 点击生成音频按钮',
                 '跨语种复刻': '1. 选择prompt音频文件，或录入prompt音频，注意不超过30s，若同时提供，优先选择prompt音频文件\n2. 点击生成音频按钮',
                 '自然语言控制': '1. 选择预训练音色\n2. 输入instruct文本\n3. 点击生成音频按钮'}
stream_mode_list = [('否', False), ('是', True)]
# The speakers of CosyVoice-300M-SFT (`list_available_spks()`); all of them map to the Piper voice.
# CosyVoice falls back to [''] for a model without speakers; EXAMPLE_SPEAKERS='' does the same.
DEFAULT_SPEAKERS = ['中文女', '中文男', '日语男', '粤语女', '英文女', '英文男', '韩语女']
prompt_sr = 16000
max_prompt_s = 30
stream_chunk_s = 0.5

voice = None  # PiperVoice, loaded in __main__
sample_rate = 22050
default_data = np.zeros(sample_rate, dtype=np.float32)  # 1 s of silence, as CosyVoice's


def generate_seed():
    seed = random.randint(1, 100000000)
    return {
        "__type__": "update",
        "value": seed
    }


def change_instruction(mode_checkbox_group):
    return instruct_dict[mode_checkbox_group]


def set_all_random_seed(seed):
    seed = int(seed or 0)
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))


def prompt_audio_info(path):
    """(sample rate, duration in s) of the prompt audio, like torchaudio.info(path)."""
    if path is None:
        # what torchaudio.info(None) does in CosyVoice after its warning: fail
        raise TypeError('prompt audio is None')
    try:
        with wave.open(path, 'rb') as w:
            return w.getframerate(), w.getnframes() / float(w.getframerate())
    except (wave.Error, EOFError):
        # not a PCM WAV (mp3, flac, m4a, ...): decode with pydub (Gradio's own dependency; ffmpeg)
        from pydub import AudioSegment
        seg = AudioSegment.from_file(path)
        return seg.frame_rate, len(seg) / 1000.0


def synthesize(tts_text, speed, stream):
    """Yields (sample_rate, float32 ndarray): one chunk per sentence, or 0.5 s pieces when streaming."""
    if stream and speed != 1.0:
        # CosyVoice's model asserts the same ('速度调节(仅支持非流式推理)')
        raise AssertionError('speed change only support non-stream inference mode')
    # noise_w_scale=0: phoneme durations are deterministic, so the same text always gives audio of
    # the same length (CosyVoice is deterministic for a fixed seed; Piper's noise is not seedable).
    config = SynthesisConfig(length_scale=1.0 / float(speed or 1.0), noise_w_scale=0.0)
    for chunk in voice.synthesize(tts_text, syn_config=config):
        audio = chunk.audio_float_array
        if not stream:
            yield (chunk.sample_rate, audio)
            continue
        step = int(chunk.sample_rate * stream_chunk_s)
        for start in range(0, len(audio), step):
            yield (chunk.sample_rate, audio[start:start + step])


def generate_audio(tts_text, mode_checkbox_group, sft_dropdown, prompt_text, prompt_wav_upload, prompt_wav_record, instruct_text,
                   seed, stream, speed):
    delay = float(os.environ.get('EXAMPLE_DELAY_S') or 0)
    if delay > 0:
        time.sleep(delay)
    raise_text = os.environ.get('EXAMPLE_RAISE_TEXT')
    if raise_text and tts_text == raise_text:
        raise gr.Error('合成文本无效 (EXAMPLE_RAISE_TEXT)')

    if prompt_wav_upload is not None:
        prompt_wav = prompt_wav_upload
    elif prompt_wav_record is not None:
        prompt_wav = prompt_wav_record
    else:
        prompt_wav = None
    # As in CosyVoice, each warning yields 1 s of silence and the function then keeps going.
    if mode_checkbox_group in ['自然语言控制']:
        if instruct_text == '':
            gr.Warning('您正在使用自然语言控制模式, 请输入instruct文本')
            yield (sample_rate, default_data)
        if prompt_wav is not None or prompt_text != '':
            gr.Info('您正在使用自然语言控制模式, prompt音频/prompt文本会被忽略')
    if mode_checkbox_group in ['跨语种复刻']:
        if instruct_text != '':
            gr.Info('您正在使用跨语种复刻模式, instruct文本会被忽略')
        if prompt_wav is None:
            gr.Warning('您正在使用跨语种复刻模式, 请提供prompt音频')
            yield (sample_rate, default_data)
        gr.Info('您正在使用跨语种复刻模式, 请确保合成文本和prompt文本为不同语言')
    prompt_rate = None
    if mode_checkbox_group in ['3s极速复刻', '跨语种复刻']:
        if prompt_wav is None:
            gr.Warning('prompt音频为空，您是否忘记输入prompt音频？')
            yield (sample_rate, default_data)
        prompt_rate, prompt_duration = prompt_audio_info(prompt_wav)  # raises for None, like CosyVoice
        log.info('prompt audio: %d Hz, %.3f s', prompt_rate, prompt_duration)
        if prompt_rate < prompt_sr:
            gr.Warning('prompt音频采样率{}低于{}'.format(prompt_rate, prompt_sr))
            yield (sample_rate, default_data)
        if prompt_duration > max_prompt_s:
            raise gr.Error('prompt音频时长{:.1f}s超过{}s'.format(prompt_duration, max_prompt_s))
    if mode_checkbox_group in ['预训练音色']:
        if instruct_text != '' or prompt_wav is not None or prompt_text != '':
            gr.Info('您正在使用预训练音色模式，prompt文本/prompt音频/instruct文本会被忽略！')
        if sft_dropdown == '':
            gr.Warning('没有可用的预训练音色！')
            yield (sample_rate, default_data)
    if mode_checkbox_group in ['3s极速复刻']:
        if prompt_text == '':
            gr.Warning('prompt文本为空，您是否忘记输入prompt文本？')
            yield (sample_rate, default_data)
        if instruct_text != '':
            gr.Info('您正在使用3s极速复刻模式，预训练音色/instruct文本会被忽略！')

    if mode_checkbox_group == '预训练音色':
        log.info('get sft inference request')
    elif mode_checkbox_group == '3s极速复刻':
        log.info('get zero_shot inference request')
        if prompt_rate is not None and prompt_rate < prompt_sr:
            # CosyVoice's load_wav asserts the same when it loads the prompt
            raise AssertionError('wav sample rate {} must be greater than {}'.format(prompt_rate, prompt_sr))
    elif mode_checkbox_group == '跨语种复刻':
        log.info('get cross_lingual inference request')
        if prompt_rate is not None and prompt_rate < prompt_sr:
            raise AssertionError('wav sample rate {} must be greater than {}'.format(prompt_rate, prompt_sr))
    else:
        log.info('get instruct inference request')
    set_all_random_seed(seed)
    for sr, audio in synthesize(tts_text, speed, stream):
        yield (sr, audio)


def main(args, sft_spk):
    with gr.Blocks() as demo:
        gr.Markdown("### 代码库 [CosyVoice](https://github.com/FunAudioLLM/CosyVoice) \
                    预训练模型 [CosyVoice-300M](https://www.modelscope.cn/models/iic/CosyVoice-300M) \
                    [CosyVoice-300M-Instruct](https://www.modelscope.cn/models/iic/CosyVoice-300M-Instruct) \
                    [CosyVoice-300M-SFT](https://www.modelscope.cn/models/iic/CosyVoice-300M-SFT)")
        gr.Markdown("#### 请输入需要合成的文本，选择推理模式，并按照提示步骤进行操作")

        tts_text = gr.Textbox(label="输入合成文本", lines=1, value="我是通义实验室语音团队全新推出的生成式语音大模型，提供舒适自然的语音合成能力。")
        with gr.Row():
            mode_checkbox_group = gr.Radio(choices=inference_mode_list, label='选择推理模式', value=inference_mode_list[0])
            instruction_text = gr.Text(label="操作步骤", value=instruct_dict[inference_mode_list[0]], scale=0.5)
            sft_dropdown = gr.Dropdown(choices=sft_spk, label='选择预训练音色', value=sft_spk[0], scale=0.25)
            stream = gr.Radio(choices=stream_mode_list, label='是否流式推理', value=stream_mode_list[0][1])
            speed = gr.Number(value=1, label="速度调节(仅支持非流式推理)", minimum=0.5, maximum=2.0, step=0.1)
            with gr.Column(scale=0.25):
                seed_button = gr.Button(value="\U0001F3B2")
                seed = gr.Number(value=0, label="随机推理种子")

        with gr.Row():
            prompt_wav_upload = gr.Audio(sources='upload', type='filepath', label='选择prompt音频文件，注意采样率不低于16khz')
            prompt_wav_record = gr.Audio(sources='microphone', type='filepath', label='录制prompt音频文件')
        prompt_text = gr.Textbox(label="输入prompt文本", lines=1, placeholder="请输入prompt文本，需与prompt音频内容一致，暂时不支持自动识别...", value='')
        instruct_text = gr.Textbox(label="输入instruct文本", lines=1, placeholder="请输入instruct文本.", value='')

        generate_button = gr.Button("生成音频")

        audio_output = gr.Audio(label="合成音频", autoplay=True, streaming=True)

        seed_button.click(generate_seed, inputs=[], outputs=seed)
        generate_button.click(generate_audio,
                              inputs=[tts_text, mode_checkbox_group, sft_dropdown, prompt_text, prompt_wav_upload, prompt_wav_record, instruct_text,
                                      seed, stream, speed],
                              outputs=[audio_output])
        mode_checkbox_group.change(fn=change_instruction, inputs=[mode_checkbox_group], outputs=[instruction_text])
    demo.queue(max_size=4, default_concurrency_limit=2)
    # CosyVoice: demo.launch(server_name='0.0.0.0', server_port=args.port). The address can be
    # narrowed with GRADIO_SERVER_NAME (the tests bind 127.0.0.1); nothing else is passed.
    demo.launch(server_name=os.environ.get('GRADIO_SERVER_NAME') or '0.0.0.0', server_port=args.port)


def default_voice():
    cache = os.environ.get('TTS_TRACE_PROXY_CACHE') or os.path.join(os.path.expanduser('~'), '.cache', 'tts-trace-proxy')
    return os.path.join(cache, 'voices', 'en_US-joe-medium.onnx')


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--port',
                        type=int,
                        default=int(os.environ.get('GRADIO_SERVER_PORT') or 8000))
    parser.add_argument('--voice',
                        type=str,
                        default=os.environ.get('PIPER_VOICE') or default_voice(),
                        help='Piper voice .onnx (its .onnx.json beside it); env PIPER_VOICE')
    args = parser.parse_args()
    if not os.path.isfile(args.voice) or not os.path.isfile(args.voice + '.json'):
        sys.exit('Piper voice not found: {} (+ .json). Run scripts/setup-voice.sh or set PIPER_VOICE.'.format(args.voice))
    voice = PiperVoice.load(args.voice)
    sample_rate = voice.config.sample_rate
    default_data = np.zeros(sample_rate, dtype=np.float32)
    env_speakers = os.environ.get('EXAMPLE_SPEAKERS')
    sft_spk = DEFAULT_SPEAKERS if env_speakers is None else [s for s in env_speakers.split(',') if s]
    if len(sft_spk) == 0:
        sft_spk = ['']
    log.info('gradio %s, piper voice %s (%d Hz), speakers %s', gr.__version__, args.voice, sample_rate, sft_spk)
    main(args, sft_spk)
