import test from 'ava';
import { findOutputFiles, parseHlsPlaylist } from '../../../proxy/src/gradio/outputs.js';

test('HLS playlist: sum of #EXTINF and segment count', (t) => {
  const p = parseHlsPlaylist('#EXTM3U\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXTINF:2.5,\na.aac\n#EXTINF:1.25,\nb.aac\n#EXT-X-ENDLIST\n');
  t.deepEqual(p, { durationS: 3.75, segments: 2, ended: true });
});

test('FileData outputs are found (4.x+ path, 3.x name+is_file, inside updates)', (t) => {
  const files = findOutputFiles([
    { path: 'sh/123/21/playlist.m3u8', is_stream: true, orig_name: 'audio.wav', meta: { _type: 'gradio.FileData' } },
    { name: '/tmp/gradio/x/audio.wav', is_file: true, data: null },
    { __type__: 'update', value: { path: '/tmp/y.mp3', size: 10 } },
    'text', 3,
  ]);
  t.deepEqual(files, [
    { path: 'sh/123/21/playlist.m3u8', isStream: true, size: undefined, extension: 'wav' },
    { path: '/tmp/gradio/x/audio.wav', isStream: false, size: undefined, extension: 'wav' },
    { path: '/tmp/y.mp3', isStream: false, size: 10, extension: 'mp3' },
  ]);
});
