// htm bound to Preact's h: html`<div>...</div>` templates, no build step.
import { h } from '../vendor/preact.mjs';
import htm from '../vendor/htm.mjs';

export const html = htm.bind(h);
