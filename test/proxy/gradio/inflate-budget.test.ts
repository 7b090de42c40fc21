import test from 'ava';
import { INFLATE_FLOOR, INFLATE_RATIO, InflateBudget } from '../../../proxy/src/gradio/inflate-budget.js';

test('up to the floor, any ratio; past it, at most RATIO bytes out per byte in; never past the cap', (t) => {
  const b = new InflateBudget();
  b.took(100);
  t.true(b.gave(INFLATE_FLOOR), 'a small body inflates whole, however well it compressed');
  t.true(b.gave(INFLATE_RATIO * 100));
  t.false(b.gave(1), 'one byte past floor + ratio × input');

  const capped = new InflateBudget(INFLATE_FLOOR + 10);
  capped.took(10 << 20);
  t.true(capped.gave(INFLATE_FLOOR + 10));
  t.false(capped.gave(1), 'the cap holds whatever the input');
});

test('text that compresses as JSON does is never cut; a bomb is cut near floor + ratio × its size', (t) => {
  // 40 MiB of JSON at 6:1, fed as it arrives.
  const json = new InflateBudget();
  let ok = true;
  for (let i = 0; i < 640; i++) { json.took(Math.ceil((64 << 10) / 6)); ok &&= json.gave(64 << 10); }
  t.true(ok);
  // 96 KiB that inflates to 96 MiB.
  const bomb = new InflateBudget();
  bomb.took(96 << 10);
  let out = 0;
  while (bomb.gave(16 << 10)) out += 16 << 10;
  t.is(out, Math.floor((INFLATE_FLOOR + INFLATE_RATIO * (96 << 10)) / (16 << 10)) * (16 << 10));
});
