"""Drives the simulator with Plaid's official Python client (plaid-python 46): create, retry, get
in every state a session moves through (active, success, failed, canceled, expired), list, the
webhook verification key, plus one error. The client checks every response against its models
(required keys, types, enum values), so a response it cannot parse fails here with the client's
own error. Sessions are completed through the simulator's control route, as a person would.

Usage: plaid_client.py BASE_URL CLIENT_ID SECRET KEY_ID EXPIRED_URL EXPIRED_ID SEEDED_ID...
(KEY_ID: the kid of a webhook the simulator signed; EXPIRED_URL/EXPIRED_ID: a simulator with a
short expiry and a session of it that expired; SEEDED_ID: attempts the test seeded, each fetched
with get so their shapes are parsed too.)
Prints one JSON summary line on success; exits non-zero with the client's error otherwise.
"""
import datetime
import json
import sys
import urllib.request

import plaid
from plaid.api import plaid_api
from plaid.model.identity_verification_create_request import IdentityVerificationCreateRequest
from plaid.model.identity_verification_create_request_user import IdentityVerificationCreateRequestUser
from plaid.model.identity_verification_get_request import IdentityVerificationGetRequest
from plaid.model.identity_verification_list_request import IdentityVerificationListRequest
from plaid.model.identity_verification_request_user import IdentityVerificationRequestUser
from plaid.model.identity_verification_request_user_name import IdentityVerificationRequestUserName
from plaid.model.identity_verification_retry_request import IdentityVerificationRetryRequest
from plaid.model.identity_verification_retry_request_steps_object import (
    IdentityVerificationRetryRequestStepsObject,
)
from plaid.model.id_number_type import IDNumberType
from plaid.model.strategy import Strategy
from plaid.model.user_address import UserAddress
from plaid.model.user_id_number import UserIDNumber
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest


def complete(url, client_id, secret, session_id, body):
    """The simulator's control route: a person completes the session (not Plaid's API)."""
    request = urllib.request.Request(
        f"{url}/sim/sessions/{session_id}/complete",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "PLAID-CLIENT-ID": client_id, "PLAID-SECRET": secret},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200, answer.status


def main(url, client_id, secret, key_id, expired_url, expired_id, seeded):
    configuration = plaid.Configuration(host=url, api_key={"clientId": client_id, "secret": secret})
    client = plaid_api.PlaidApi(plaid.ApiClient(configuration))

    def get(session_id, api=None):
        return (api or client).identity_verification_get(
            IdentityVerificationGetRequest(identity_verification_id=session_id)
        )
    template_id = "idvtmp_python_driver"
    client_user_id = "python-driver-user"

    # Plaid's sandbox test user, as the docs give it.
    name = IdentityVerificationRequestUserName(given_name="Leslie", family_name="Knope")
    address = UserAddress(
        street="123 Main St.", city="Pawnee", region="IN", postal_code="46001", country="US"
    )
    id_number = UserIDNumber(value="123456789", type=IDNumberType("us_ssn"))
    dob = datetime.date(1975, 1, 18)

    def retry(strategy, steps=None, **fields):
        """A retry for the driver's user and template; `steps` is (verify_sms, kyc_check,
        documentary_verification, selfie_check) for a custom one."""
        if steps is not None:
            fields["steps"] = IdentityVerificationRetryRequestStepsObject(
                **dict(zip(["verify_sms", "kyc_check", "documentary_verification", "selfie_check"], steps))
            )
        return client.identity_verification_retry(
            IdentityVerificationRetryRequest(
                client_user_id=client_user_id, template_id=template_id, strategy=Strategy(strategy), **fields
            )
        )

    created = client.identity_verification_create(
        IdentityVerificationCreateRequest(
            client_user_id=client_user_id,
            template_id=template_id,
            is_shareable=True,
            gave_consent=True,
            user=IdentityVerificationCreateRequestUser(
                email_address="leslie@example.com",
                phone_number="+12345678909",
                date_of_birth=dob,
                name=name,
                address=address,
                id_number=id_number,
            ),
        )
    )
    assert created.status.value == "active", created.status
    assert created.completed_at is None and created.shareable_url is not None
    assert created.steps.accept_tos.value == "skipped" and created.steps.verify_sms.value == "active"
    complete(url, client_id, secret, created.id, {"outcome": "success"})
    created = get(created.id)
    assert created.status.value == "success", created.status
    assert created.completed_at is not None
    assert created.kyc_check.id_number.ssa_verification.match.value == "match"
    assert created.risk_check.email.name is not None

    reset = retry("reset")
    assert reset.previous_attempt_id == created.id, (reset.previous_attempt_id, created.id)
    assert reset.status.value == "active"

    # Someone else's data fails kyc_check.
    failed = retry(
        "custom",
        steps=(False, True, True, True),
        is_shareable=False,
        user=IdentityVerificationRequestUser(
            email_address="ann@example.com",
            phone_number="+12345678909",
            date_of_birth=datetime.date(1980, 2, 3),
            name=IdentityVerificationRequestUserName(given_name="Ann", family_name="Perkins"),
            address=address,
        ),
    )
    assert failed.status.value == "active", failed.status
    assert failed.shareable_url is None
    assert get(reset.id).status.value == "canceled", "a retry supersedes the active session"
    complete(url, client_id, secret, failed.id, {"outcome": "failed"})
    failed = get(failed.id)
    assert failed.status.value == "failed", failed.status
    assert failed.steps.kyc_check.value == "failed"

    infer = retry(
        "infer",
        user=IdentityVerificationRequestUser(
            phone_number="+12345678909", date_of_birth=dob, name=name, address=address, id_number=id_number
        ),
    )
    assert infer.status.value == "active", infer.status
    assert infer.steps.kyc_check.value == "active", "infer after a failed session resumes where it failed"
    complete(url, client_id, secret, infer.id, {"outcome": "success"})
    infer = get(infer.id)
    assert infer.status.value == "success", infer.status

    # Documents run (and pass) for the sandbox user when a custom retry asks for them.
    documents = retry(
        "custom",
        steps=(True, False, True, False),
        user=IdentityVerificationRequestUser(phone_number="+12345678909", date_of_birth=dob, name=name, address=address),
    )
    assert documents.steps.documentary_verification.value == "waiting_for_prerequisite", documents.steps
    complete(url, client_id, secret, documents.id, {"outcome": "success"})
    documents = get(documents.id)
    assert documents.steps.documentary_verification.value == "success", documents.steps
    assert documents.documentary_verification.documents[0].analysis.authenticity.value == "match"

    # A session that expired, on a simulator with a short expiry.
    expiring = plaid_api.PlaidApi(
        plaid.ApiClient(plaid.Configuration(host=expired_url, api_key={"clientId": client_id, "secret": secret}))
    )
    expired = get(expired_id, expiring)
    assert expired.status.value == "expired" and expired.completed_at is not None, expired.status

    key = client.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=key_id)).key
    assert (key.kid, key.alg, key.crv, key.kty, key.use) == (key_id, "ES256", "P-256", "EC", "sig"), key
    assert isinstance(key.created_at, int) and key.expired_at is None
    try:
        client.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id="no-such-key"))
        raise AssertionError("an unknown key id was answered")
    except plaid.ApiException as e:
        assert json.loads(e.body)["error_code"] == "INVALID_WEBHOOK_VERIFICATION_KEY_ID", e.body

    for attempt_id in seeded:
        seeded_attempt = client.identity_verification_get(
            IdentityVerificationGetRequest(identity_verification_id=attempt_id)
        )
        assert seeded_attempt.id == attempt_id

    got = client.identity_verification_get(IdentityVerificationGetRequest(identity_verification_id=failed.id))
    assert got.id == failed.id and got.steps.kyc_check.value == "failed"

    listed = client.identity_verification_list(
        IdentityVerificationListRequest(template_id=template_id, client_user_id=client_user_id)
    )
    ids = [v.id for v in listed.identity_verifications]
    assert ids == [created.id, reset.id, failed.id, infer.id, documents.id], ids
    assert listed.next_cursor is None

    # An error answers in Plaid's format, which the client's README parses from the exception.
    bad = plaid_api.PlaidApi(
        plaid.ApiClient(plaid.Configuration(host=url, api_key={"clientId": client_id, "secret": "wrong"}))
    )
    try:
        bad.identity_verification_get(IdentityVerificationGetRequest(identity_verification_id=created.id))
        raise AssertionError("wrong credentials were accepted")
    except plaid.ApiException as e:
        error = json.loads(e.body)
        assert e.status == 400 and error["error_code"] == "INVALID_API_KEYS", (e.status, error)

    print(json.dumps({
        "parsed": ["create", "retry", "retry", "retry", "retry"] + ["get"] * (len(seeded) + 8)
        + ["list", "webhook_verification_key", "error", "error"],
        "attempts": ids,
        "statuses": [
            created.status.value, get(reset.id).status.value, failed.status.value, infer.status.value,
            documents.status.value, expired.status.value,
        ],
    }))


if __name__ == "__main__":
    main(*sys.argv[1:7], sys.argv[7:])
