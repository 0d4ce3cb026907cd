"""An independent verifier of the simulator's webhooks: Plaid's documented procedure done with
PyJWT and cryptography (pinned in tests/requirements.txt), the key fetched with plaid-python.

Usage: verify_webhooks.py BASE_URL CLIENT_ID SECRET < webhooks.jsonl
Each input line: {"verification": <the Plaid-Verification header>, "body": <the body, base64>}.
Prints one JSON line per webhook: {"verified": true, "code": ..., "id": ...} or
{"verified": false, "why": ...}. Exits non-zero only on a broken input or client.
"""
import base64
import hashlib
import hmac
import json
import sys
import time

import jwt
import plaid
from plaid.api import plaid_api
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest


def verify(client, keys, verification, body):
    header = jwt.get_unverified_header(verification)
    if header.get("alg") != "ES256":
        return {"verified": False, "why": "alg is not ES256"}
    kid = header.get("kid")
    if kid not in keys:
        try:
            answer = client.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=kid))
        except plaid.ApiException:
            return {"verified": False, "why": "unknown key"}
        keys[kid] = answer.key.to_dict()
    jwk = keys[kid]
    if jwk.get("expired_at") is not None:
        return {"verified": False, "why": "expired key"}
    key = jwt.PyJWK({k: jwk[k] for k in ("kty", "crv", "x", "y", "kid", "alg", "use")})
    try:
        claims = jwt.decode(verification, key, algorithms=["ES256"], options={"verify_iat": True})
    except jwt.InvalidTokenError as e:
        return {"verified": False, "why": f"signature: {type(e).__name__}"}
    if abs(time.time() - claims["iat"]) > 5 * 60:
        return {"verified": False, "why": "stale iat"}
    if not hmac.compare_digest(hashlib.sha256(body).hexdigest(), claims["request_body_sha256"]):
        return {"verified": False, "why": "body hash"}
    webhook = json.loads(body)
    return {"verified": True, "code": webhook["webhook_code"], "id": webhook["identity_verification_id"],
            "type": webhook["webhook_type"], "environment": webhook["environment"], "keys": sorted(webhook)}


def main(url, client_id, secret):
    configuration = plaid.Configuration(host=url, api_key={"clientId": client_id, "secret": secret})
    client = plaid_api.PlaidApi(plaid.ApiClient(configuration))
    keys = {}
    for line in sys.stdin:
        if line.strip():
            item = json.loads(line)
            print(json.dumps(verify(client, keys, item["verification"], base64.b64decode(item["body"]))))


if __name__ == "__main__":
    main(*sys.argv[1:4])
