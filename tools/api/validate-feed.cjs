#!/usr/bin/env node
// validate-feed.cjs SCHEMA_DIR EVENTS.jsonl - checks items of the hub
// feed (one CloudEvent per line, as sn-follow writes them) against the
// feed's JSON Schemas (docs/feed/schemas/, draft 2020-12) with Ajv: every
// item against cloudevent.json, and its data against the schema its
// dataschema names (an unknown dataschema is an error). Prints one line
// per invalid item and a summary; exits 0 when all are valid, 1 when
// one is not, 2 on a usage or file error. Used by the supervision tests
// (services/supervision/tests/feed_scenarios.c); `npm ci` here installs
// Ajv (deploy/local/contract does).
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv2020 = require('ajv/dist/2020').default;

if (process.argv.length !== 4) {
  console.error('usage: validate-feed.cjs SCHEMA_DIR EVENTS.jsonl');
  process.exit(2);
}
const [dir, file] = process.argv.slice(2);
const ajv = new Ajv2020({ allErrors: true, strict: true });
let envelopeId = null;
try {
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const s = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    ajv.addSchema(s);
    if (f === 'cloudevent.json') envelopeId = s.$id;
  }
} catch (e) {
  console.error(`validate-feed: ${dir}: ${e.message}`);
  process.exit(2);
}
if (envelopeId === null) {
  console.error(`validate-feed: no cloudevent.json in ${dir}`);
  process.exit(2);
}
let lines;
try {
  lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
} catch (e) {
  console.error(`validate-feed: ${file}: ${e.message}`);
  process.exit(2);
}
const envelope = ajv.getSchema(envelopeId);
const types = new Set();
let bad = 0;
lines.forEach((line, i) => {
  const where = `line ${i + 1}`;
  let ev;
  try {
    ev = JSON.parse(line);
  } catch (e) {
    console.log(`${where}: not JSON: ${e.message}`);
    bad++;
    return;
  }
  const at = `${where} (snpos ${ev.snpos}, ${ev.type})`;
  if (!envelope(ev)) {
    console.log(`${at}: attributes: ${ajv.errorsText(envelope.errors)}`);
    bad++;
    return;
  }
  if (ev.data === undefined) return;
  const data = ajv.getSchema(ev.dataschema);
  if (data === undefined) {
    console.log(`${at}: no schema ${ev.dataschema}`);
    bad++;
    return;
  }
  types.add(ev.type);
  if (!data(ev.data)) {
    console.log(`${at}: data: ${ajv.errorsText(data.errors)}`);
    bad++;
  }
});
console.log(`validate-feed: ${lines.length - bad} of ${lines.length} items valid, ${types.size} types`);
process.exit(bad === 0 ? 0 : 1);
