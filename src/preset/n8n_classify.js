// Plaid IDV retry: the plugin's classification of the answer (or of the transport error) and the
// retry it allows. Rendered by @PLUGIN@: `host-sim preset --dialect n8n`. Rules: first match wins.
const classification = @CLASSIFICATION@;
// Transport errors raised before the request left: nothing reached Plaid. Any other error (a
// timeout, a reset or dropped connection) may have come after Plaid received the request.
const NOT_SENT = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"];
const attempt = $runIndex + 1;
const answer = $json;

function retryAfter(headers) {
  const text = String((headers || {})["retry-after"] ?? "").trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}

let verdict;
if (answer.statusCode === undefined) {
  const code = String(answer.error?.code ?? "");
  const cause = code || String(answer.error?.message ?? answer.error ?? "no answer");
  verdict = NOT_SENT.includes(code)
    ? { class: "retryable", reason: `the request never reached Plaid (${code}): nothing was created` }
    : { class: "unknown", reason: `the request may have reached Plaid, but no answer came back (${cause})` };
} else {
  let body;
  try {
    body = JSON.parse(answer.data ?? "");
  } catch (e) {
    body = undefined;
  }
  const object = body !== null && typeof body === "object" && !Array.isArray(body) ? body : undefined;
  const error =
    object && typeof object.error_type === "string" && typeof object.error_code === "string" ? object : undefined;
  const status = answer.statusCode;
  const rule = classification.rules.find(
    (r) =>
      (!r.error_type || (error !== undefined && r.error_type.includes(error.error_type))) &&
      (!r.error_code || (error !== undefined && r.error_code.includes(error.error_code))) &&
      (!r.status || (r.status[0] <= status && status <= r.status[1])) &&
      (r.body !== "json_object" || object !== undefined),
  );
  let plaid = `Plaid answered HTTP ${status}`;
  if (error) plaid += ` ${error.error_type}/${error.error_code} (request_id ${error.request_id})`;
  verdict = { class: rule.class, reason: plaid, status_code: status };
  if (rule.class === "retryable") verdict.wait_seconds = retryAfter(answer.headers) ?? rule.retry_after_default_seconds;
  if (rule.class === "completed") {
    // The result keeps the attempt, never the personal data Plaid echoes.
    const kept = classification.result_fields.filter((k) => k in object);
    verdict.verification = Object.fromEntries(kept.map((k) => [k, object[k]]));
  }
}

const retry = classification.retry;
let route = "failed";
if (verdict.class === "completed") {
  route = "completed";
} else if (verdict.class === "retryable" && attempt < retry.max_attempts) {
  route = "retry";
  verdict.wait_seconds ??= retry.initial_interval_seconds * retry.backoff_rate ** (attempt - 1);
} else if (verdict.class === "retryable") {
  verdict.reason += `: still failing after ${attempt} attempts`;
} else if (verdict.class === "terminal") {
  verdict.reason += ": fix the request or the credentials, do not retry";
} else {
  verdict.reason +=
    ": outcome unknown, Plaid may have opened a billed session: check /identity_verification/list " +
    "(same client_user_id and template_id) before sending again";
}
return { json: { route, attempt, ...verdict } };
