// Livestream links as organizers paste them, turned into addresses a frame can show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embedUrl } from '../js/common.js';

test('YouTube watch, share and live links become embed links; others stay as they are', () => {
  const embed = 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ';
  assert.equal(embedUrl('https://www.youtube.com/watch?v=dQw4w9WgXcQ'), embed);
  assert.equal(embedUrl('https://youtu.be/dQw4w9WgXcQ'), embed);
  assert.equal(embedUrl('https://www.youtube.com/live/dQw4w9WgXcQ?si=x'), embed);
  assert.equal(embedUrl('https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=5'), embed);
  assert.equal(embedUrl('https://play.stockholm.se/embed/123'), 'https://play.stockholm.se/embed/123');
  assert.equal(embedUrl('javascript:alert(1)'), null);
  assert.equal(embedUrl('not a url'), null);
});
