// N sequential /identity_verification/retry calls with Plaid's official Node client (plaid 47),
// each parsing the response (axios), as an application would. Run by host-sim/bench/clients.
//
// Usage: node plaid_node.mjs BASE_URL N INPUT_JSON_FILE   (credentials from $PLAID_CLIENT_ID and
// $PLAID_SECRET). Prints one JSON line: client, calls, seconds, calls_per_second.
import fs from "node:fs";
import { createRequire } from "node:module";
import { Configuration, PlaidApi } from "plaid";

const WARMUP = 20;
const [url, count, inputFile] = process.argv.slice(2);
const n = Number(count);
const version = createRequire(import.meta.url)("plaid/package.json").version;

const client = new PlaidApi(
  new Configuration({
    basePath: url,
    baseOptions: {
      headers: { "PLAID-CLIENT-ID": process.env.PLAID_CLIENT_ID, "PLAID-SECRET": process.env.PLAID_SECRET },
    },
  }),
);
const input = JSON.parse(fs.readFileSync(inputFile, "utf8"));
// The simulator retries only a user who has a session; idempotent, so every client may ask.
await client.identityVerificationCreate({
  client_user_id: input.client_user_id,
  template_id: input.template_id,
  is_shareable: true,
  gave_consent: true,
  is_idempotent: true,
});

async function call() {
  const response = await client.identityVerificationRetry(input);
  if (response.data.status !== "success") {
    throw new Error(`the retry ended ${response.data.status}, not success`);
  }
}

for (let i = 0; i < Math.min(WARMUP, n); i++) await call();
const started = process.hrtime.bigint();
for (let i = 0; i < n; i++) await call();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(
  JSON.stringify({
    client: `plaid node ${version}`,
    calls: n,
    seconds: Math.round(seconds * 1000) / 1000,
    calls_per_second: Math.round((n / seconds) * 10) / 10,
  }),
);
