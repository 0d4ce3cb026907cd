// Validates the case table with ajv as automation builders use it: Ajv2020 in strict mode, with
// ajv-formats. Usage: node check.mjs SCHEMA CASES [MORE_SCHEMAS...]
// Prints {"compiled": [...], "cases": [{"name", "valid", "errors": [{"path", "keyword"}],
// "warnings": [rule]}]} on stdout: "warnings" are the input schema's warning rules ($defs/warnings,
// each compiled on its own as a form would) that the case fails. A schema that does not compile in
// strict mode exits 1 with ajv's message on stderr.
import fs from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [schemaPath, casesPath, ...more] = process.argv.slice(2);
const read = (path) => JSON.parse(fs.readFileSync(path, "utf8"));

function ajv() {
  const instance = new Ajv2020({ strict: true, allErrors: true });
  addFormats(instance);
  return instance;
}

const compiled = [];
let validate;
const warnings = [];
try {
  const schema = read(schemaPath);
  validate = ajv().compile(schema);
  compiled.push(schemaPath);
  for (const [rule, def] of Object.entries(schema.$defs?.warnings ?? {})) {
    warnings.push([rule, ajv().compile({ $schema: schema.$schema, ...def })]);
    compiled.push(`${schemaPath}#/$defs/warnings/${rule}`);
  }
  for (const path of more) {
    ajv().compile(read(path));
    compiled.push(path);
  }
} catch (e) {
  console.error(`ajv strict mode cannot compile a schema: ${e.message}`);
  process.exit(1);
}

const cases = read(casesPath).cases.map((c) => {
  const valid = validate(c.input);
  const errors = (validate.errors ?? []).map((e) => ({ path: e.instancePath, keyword: e.keyword }));
  const failed = warnings.filter(([, check]) => !check(c.input)).map(([rule]) => rule);
  return { name: c.name, valid, errors, warnings: failed };
});
process.stdout.write(JSON.stringify({ compiled, cases }));
