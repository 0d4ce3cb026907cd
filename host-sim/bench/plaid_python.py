"""N sequential /identity_verification/retry calls with Plaid's official Python client
(plaid-python 46), each building the request from the input and parsing the response into the
client's models, as an application would. Run by host-sim/bench/clients.

Usage: plaid_python.py BASE_URL N INPUT_JSON_FILE   (credentials from $PLAID_CLIENT_ID and
$PLAID_SECRET). Prints one JSON line: client, calls, seconds, calls_per_second.
"""
import json
import os
import sys
import time

import plaid
from plaid.api import plaid_api
from plaid.model.identity_verification_create_request import IdentityVerificationCreateRequest
from plaid.model.identity_verification_retry_request import IdentityVerificationRetryRequest
from plaid.model_utils import validate_and_convert_types

WARMUP = 20


def main():
    url, n, input_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    configuration = plaid.Configuration(
        host=url,
        api_key={"clientId": os.environ["PLAID_CLIENT_ID"], "secret": os.environ["PLAID_SECRET"]},
    )
    client = plaid_api.PlaidApi(plaid.ApiClient(configuration))
    with open(input_file) as f:
        data = json.load(f)
    # The simulator retries only a user who has a session; idempotent, so every client may ask.
    client.identity_verification_create(
        IdentityVerificationCreateRequest(
            client_user_id=data["client_user_id"],
            template_id=data["template_id"],
            is_shareable=True,
            gave_consent=True,
            is_idempotent=True,
        )
    )

    def call():
        request = validate_and_convert_types(
            data, (IdentityVerificationRetryRequest,), ["input"], True, True, configuration
        )
        response = client.identity_verification_retry(request)
        if response.status.value != "success":
            raise SystemExit(f"the retry ended {response.status.value}, not success")

    for _ in range(min(WARMUP, n)):
        call()
    started = time.perf_counter()
    for _ in range(n):
        call()
    seconds = time.perf_counter() - started
    print(json.dumps({
        "client": f"plaid-python {plaid.__version__}",
        "calls": n,
        "seconds": round(seconds, 3),
        "calls_per_second": round(n / seconds, 1),
    }))


if __name__ == "__main__":
    main()
