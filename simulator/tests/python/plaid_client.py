"""Drives the simulator with Plaid's official Python client (plaid-python 46): create, retry, get
and list, plus one error. The client checks every response against its models (required keys,
types, enum values), so a response it cannot parse fails here with the client's own error.

Usage: plaid_client.py BASE_URL CLIENT_ID SECRET SEEDED_ID...
(SEEDED_ID: attempts the test seeded, each fetched with get so their shapes are parsed too.)
Prints one JSON summary line on success; exits non-zero with the client's error otherwise.
"""
import datetime
import json
import sys

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


def main(url, client_id, secret, seeded):
    configuration = plaid.Configuration(host=url, api_key={"clientId": client_id, "secret": secret})
    client = plaid_api.PlaidApi(plaid.ApiClient(configuration))
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
    assert created.status.value == "success", created.status
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
    assert failed.status.value == "failed", failed.status
    assert failed.steps.kyc_check.value == "failed"
    assert failed.shareable_url is None

    infer = retry(
        "infer",
        user=IdentityVerificationRequestUser(
            phone_number="+12345678909", date_of_birth=dob, name=name, address=address, id_number=id_number
        ),
    )
    assert infer.status.value == "success", infer.status

    # Documents run (and pass) for the sandbox user when a custom retry asks for them.
    documents = retry(
        "custom",
        steps=(True, False, True, False),
        user=IdentityVerificationRequestUser(phone_number="+12345678909", date_of_birth=dob, name=name, address=address),
    )
    assert documents.steps.documentary_verification.value == "success", documents.steps
    assert documents.documentary_verification.documents[0].analysis.authenticity.value == "match"

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
        "parsed": ["create", "retry", "retry", "retry", "retry"] + ["get"] * (len(seeded) + 1) + ["list", "error"],
        "attempts": ids,
        "statuses": [created.status.value, reset.status.value, failed.status.value, infer.status.value],
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
