// ajv, as automation builders use it (Ajv2020, strict, allErrors, ajv-formats: the same setup as
// tests/ajv/check.mjs), timed on the plugin's input schema with host-sim/bench's inputs.
//
// Usage: node ajv.mjs SCHEMA MINIMAL_JSON FULL_JSON
// Prints one JSON line: per input, the median microseconds of `validate(JSON.parse(text))` (text
// in, like the plugin's validate) and of `validate(object)` alone.
import fs from "node:fs";
import { createRequire } from "node:module";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const BATCH = 100; // calls per clock reading: one call is close to the clock's own cost
const BATCHES = 2001;
const WARMUP = 20000; // lets V8 optimize validate before the clock starts

const [schemaPath, ...inputPaths] = process.argv.slice(2);
const read = (path) => fs.readFileSync(path, "utf8");
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(read(schemaPath)));

function medianMicros(call) {
  for (let i = 0; i < WARMUP; i++) call();
  const times = [];
  for (let b = 0; b < BATCHES; b++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) call();
    times.push(Number(process.hrtime.bigint() - started) / 1e3 / BATCH);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[BATCHES >> 1] * 1000) / 1000;
}

const result = { ajv: createRequire(import.meta.url)("ajv/package.json").version, node: process.version };
for (const [name, path] of [["minimal", inputPaths[0]], ["full", inputPaths[1]]]) {
  const text = JSON.stringify(JSON.parse(read(path)));
  const object = JSON.parse(text);
  if (!validate(object)) throw new Error(`${path} is invalid for ajv: ${JSON.stringify(validate.errors)}`);
  result[`${name}_parse_and_validate_us`] = medianMicros(() => {
    if (!validate(JSON.parse(text))) throw new Error("invalid");
  });
  result[`${name}_validate_us`] = medianMicros(() => {
    if (!validate(object)) throw new Error("invalid");
  });
}
console.log(JSON.stringify(result));
