"""Sends one /identity_verification/retry with the official plaid-python client, so that the
wire-parity test can compare its request with the plugin's.

Usage: send_retry.py BASE_URL CLIENT_ID INPUT_JSON_FILE   (the secret comes from $PLAID_SECRET,
so it never shows in a process listing). Exit 0 once the request was sent, whatever the answer.
"""
import json
import os
import sys

import plaid
from plaid.api import plaid_api
from plaid.model.identity_verification_retry_request import IdentityVerificationRetryRequest
from plaid.model_utils import validate_and_convert_types


def main():
    base_url, client_id, input_file = sys.argv[1:4]
    configuration = plaid.Configuration(
        host=base_url,
        api_key={"clientId": client_id, "secret": os.environ["PLAID_SECRET"]},
    )
    client = plaid.ApiClient(configuration)
    with open(input_file) as f:
        data = json.load(f)
    # The same conversion the client applies to JSON it receives: dicts to typed models.
    request = validate_and_convert_types(
        data, (IdentityVerificationRetryRequest,), ["input"], True, True, configuration
    )
    try:
        plaid_api.PlaidApi(client).identity_verification_retry(request, _request_timeout=(5, 10))
    except plaid.ApiException as e:
        print(f"plaid-python raised ApiException {e.status}", file=sys.stderr)
    except Exception as e:  # the capture server's answer need not parse
        print(f"plaid-python raised {type(e).__name__}", file=sys.stderr)


if __name__ == "__main__":
    main()
