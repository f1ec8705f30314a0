// mermaid-check.mjs parses Mermaid files with Mermaid's own parser (no
// browser: jsdom stands in for the DOM). Usage:
//   MERMAID_JS=DIR node mermaid-check.mjs FILE.mmd...
// where DIR holds node_modules with mermaid (11.x) and jsdom
// (npm install mermaid@11 jsdom). Exit status 1 if a file does not parse.
import { createRequire } from 'module';
import { pathToFileURL } from 'url';
import fs from 'fs';
import path from 'path';

const dir = process.env.MERMAID_JS;
if (!dir) { console.error('MERMAID_JS is not set'); process.exit(2); }
const req = createRequire(path.join(path.resolve(dir), 'x.js'));
const { JSDOM } = await import(pathToFileURL(req.resolve('jsdom')).href);
const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const k of ['DOMParser', 'Element', 'HTMLElement', 'Node']) globalThis[k] = dom.window[k];
const mermaid = (await import(pathToFileURL(req.resolve('mermaid')).href)).default;
mermaid.initialize({ startOnLoad: false });
let bad = 0;
for (const f of process.argv.slice(2)) {
  try {
    const r = await mermaid.parse(fs.readFileSync(f, 'utf8'));
    console.log('ok', f, r.diagramType);
  } catch (e) {
    bad++;
    console.log('FAIL', f, String(e.message || e).split('\n').slice(0, 3).join(' | '));
  }
}
process.exit(bad ? 1 : 0);
