"""Plaid's POST /identity_verification/retry as an Apache Airflow task (@PLUGIN@, @ENVIRONMENT@).

Rendered by `host-sim preset --dialect airflow --env @ENVIRONMENT@`. Put this file in the DAGs
folder: it defines the DAG `plaid_idv_retry`, triggered with the retry request's body (the
plugin's task input) as its conf, and `plaid_idv_retry_task()`, the same task for your own DAGs.

- Credentials: from the Airflow connection named in PRESET["conn_id"] (login: the client_id,
  password: the secret), sent as Plaid's PLAID-CLIENT-ID / PLAID-SECRET headers, and only to
  the environment's Plaid host or to loopback.
- Retries follow the plugin's classification (PRESET["classification"], first matching rule):
  a terminal answer fails at once; a 429 waits for Retry-After, a 503 backs off; an outcome
  that may have opened a billed session (an answer lost after sending, a 5xx other than 503)
  fails without a retry: check /identity_verification/list before sending again.
"""

from __future__ import annotations

import ipaddress
import json
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from airflow.providers.http.operators.http import HttpOperator
from airflow.sdk import DAG, RetryDecision, RetryPolicy
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from urllib3.exceptions import ConnectTimeoutError

PRESET = json.loads(r"""@PRESET@""")
RULES = PRESET["classification"]["rules"]
RETRY = PRESET["classification"]["retry"]


def _loopback(host):
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class PlaidAuth(requests.auth.AuthBase):
    """The connection's login and password as Plaid's credential headers, checked before sending."""

    def __init__(self, client_id=None, secret=None):
        self.client_id, self.secret = client_id, secret

    def __call__(self, request):
        if not self.client_id or not self.secret:
            raise AirflowFailException(
                f"the connection {PRESET['conn_id']} needs the client_id as its login and the secret as its "
                "password; nothing was sent"
            )
        url = urlsplit(request.url)
        if not (url.scheme == "https" and url.hostname == PRESET["plaid_host"]) and not _loopback(url.hostname):
            raise AirflowFailException(
                f"the connection points at {url.hostname}: Plaid's credentials go only to "
                f"https://{PRESET['plaid_host']} (or to loopback); nothing was sent"
            )
        try:
            json.loads(request.body or b"")
        except ValueError:
            raise AirflowFailException(
                "the request body is not JSON text (a dict `data` is form-encoded, and so is a DAG "
                "rendering templates as native objects); nothing was sent"
            ) from None
        request.headers["PLAID-CLIENT-ID"] = self.client_id
        request.headers["PLAID-SECRET"] = self.secret
        return request


class PlaidRetryable(AirflowException):
    """Nothing was created: PlaidRetryPolicy retries, after `retry_after` seconds when known."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


def _json_object(response):
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _retry_after(response):
    text = (response.headers.get("Retry-After") or "").strip()
    if text.isdigit():
        return float(text)
    try:
        return max(0.0, (parsedate_to_datetime(text) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError, IndexError):
        return None


def classify(response):
    """The first rule of the plugin's classification that matches Plaid's answer."""
    body = _json_object(response)
    error = body if body and isinstance(body.get("error_type"), str) and isinstance(body.get("error_code"), str) else None
    for rule in RULES:
        if "error_type" in rule and not (error and error["error_type"] in rule["error_type"]):
            continue
        if "error_code" in rule and not (error and error["error_code"] in rule["error_code"]):
            continue
        if "status" in rule and not rule["status"][0] <= response.status_code <= rule["status"][1]:
            continue
        if rule.get("body") == "json_object" and body is None:
            continue
        return rule
    raise AirflowFailException("the classification has no rule for this answer")


def check_response(response):
    """The task's verdict on Plaid's answer: True, or an exception the retry policy reads."""
    rule = classify(response)
    what = f"Plaid answered HTTP {response.status_code}"
    error = _json_object(response) or {}
    if isinstance(error.get("error_type"), str):
        what += f" {error['error_type']}/{error.get('error_code')} (request_id {error.get('request_id')})"
    if rule["class"] == "completed":
        return True
    if rule["class"] == "terminal":
        raise AirflowFailException(f"{what}: fix the request or the credentials, do not retry")
    if rule["class"] == "retryable":
        wait = _retry_after(response)
        if wait is None:
            wait = rule.get("retry_after_default_seconds")
        raise PlaidRetryable(f"{what}: nothing was created, safe to retry", wait)
    raise AirflowFailException(
        f"{what}: outcome unknown, Plaid may have opened a billed session: check "
        "/identity_verification/list (same client_user_id and template_id) before sending again"
    )


def result(response):
    """What the task returns (and Airflow stores as its XCom): the attempt, no personal data."""
    body = response.json()
    return {key: body[key] for key in PRESET["classification"]["result_fields"] if key in body}


def _not_sent(exception):
    """A transport failure before the request left: nothing reached Plaid."""
    if isinstance(exception, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exception.args[0], "reason", None) if exception.args else None
    # urllib3's NewConnectionError (refused, unreachable) and NameResolutionError subclass it.
    return isinstance(exception, requests.exceptions.ConnectionError) and isinstance(reason, ConnectTimeoutError)


def _backoff(try_number):
    return RETRY["initial_interval_seconds"] * RETRY["backoff_rate"] ** (try_number - 1)


class PlaidRetryPolicy(RetryPolicy):
    """Retries what created nothing, when Plaid says; fails everything else at once."""

    def evaluate(self, exception, try_number, max_tries, context=None):
        if isinstance(exception, PlaidRetryable):
            wait = exception.retry_after if exception.retry_after is not None else _backoff(try_number)
            return RetryDecision.retry(timedelta(seconds=wait), str(exception))
        if _not_sent(exception):
            return RetryDecision.retry(
                timedelta(seconds=_backoff(try_number)),
                f"the request never reached Plaid ({type(exception).__name__}): nothing was created, safe to retry",
            )
        return RetryDecision.fail(
            f"not retried ({type(exception).__name__}): the request may have reached Plaid, which may have "
            "opened a billed session: check /identity_verification/list before sending again"
        )


def plaid_idv_retry_task(task_id="plaid_idv_retry", body="{{ dag_run.conf | tojson }}", **kwargs):
    """The task. `body`: the retry request's body as JSON text (a template), by default the DAG run's conf."""
    kwargs.setdefault("http_conn_id", PRESET["conn_id"])
    return HttpOperator(
        task_id=task_id,
        method="POST",
        endpoint=PRESET["endpoint"],
        data=body,
        headers=PRESET["headers"],
        auth_type=PlaidAuth,
        extra_options={
            "timeout": (PRESET["connect_timeout_seconds"], PRESET["read_timeout_seconds"]),
            "allow_redirects": False,
            "check_response": False,
        },
        response_check=check_response,
        response_filter=result,
        retries=RETRY["max_attempts"] - 1,
        retry_delay=timedelta(seconds=RETRY["initial_interval_seconds"]),
        retry_policy=PlaidRetryPolicy(),
        execution_timeout=timedelta(seconds=PRESET["execution_timeout_seconds"]),
        **kwargs,
    )


with DAG(dag_id=PRESET["dag_id"], schedule=None, catchup=False, tags=["plaid"]):
    plaid_idv_retry_task()
