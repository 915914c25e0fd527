"""A user's first steps with Herald, through the Python client that openapi-generator made from
openapi.yaml (client-generators.sh python OUT; run with OUT on PYTHONPATH).

As an operator: create an account, an admin API key for it and an event type. As the account:
create a webhook with bearer auth to a receiver, post an event, read the delivery log until the
event's delivery succeeded and read its attempts, press Test, find the test delivery in the log,
delete the webhook and see it gone. Every answer goes through the client's models, so one the
spec describes wrongly fails here.

Environment: HERALD_URL, HERALD_ADMIN_TOKEN, HERALD_RECEIVER_URL, HERALD_RECEIVER_TOKEN (the
bearer token the webhook sends), HERALD_RUN (a suffix that makes names unique). Prints one JSON
object of what it saw; exits 1 with the reason on the first step that fails.
"""

import datetime
import json
import os
import sys
import time

import herald_client as hc
from herald_client.exceptions import NotFoundException

URL = os.environ["HERALD_URL"]
ADMIN_TOKEN = os.environ["HERALD_ADMIN_TOKEN"]
RECEIVER_URL = os.environ["HERALD_RECEIVER_URL"]
RECEIVER_TOKEN = os.environ["HERALD_RECEIVER_TOKEN"]
RUN = os.environ["HERALD_RUN"]


def client(token: str) -> hc.ApiClient:
    return hc.ApiClient(hc.Configuration(host=URL, access_token=token))


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)


def eventually(read, done, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last: {value!r}")
        time.sleep(0.1)


def main() -> dict:
    operator = client(ADMIN_TOKEN)
    account = hc.AccountsApi(operator).create_account(hc.AccountCreate(name=f"Python client {RUN}"))
    expect(account.webhooks_enabled is True, "a new account has webhooks enabled")

    key = hc.ApiKeysApi(operator).create_api_key(
        hc.ApiKeyCreate(account=account.id, role=hc.ApiKeyRole.ADMIN, name="python client")
    )
    expect(key.account == account.id and key.key.startswith(key.prefix), "the key is the account's, shown once")

    event_type = f"ticket.python_{RUN}"
    hc.EventTypesApi(operator).create_event_type(
        hc.EventTypeCreate(
            name=event_type,
            description="A ticket changed, posted by the Python client.",
            example={"ref": "T-1", "priority": "low"},
        )
    )

    me = client(key.key)
    caller = hc.OperationsApi(me).get_caller()
    expect(caller.kind == "account" and caller.account_id == account.id, "the key authenticates as the account")

    webhooks = hc.WebhooksApi(me)
    webhook = webhooks.create_webhook(
        hc.WebhookCreate(
            name="Python receiver",
            url=RECEIVER_URL,
            event_types=[event_type],
            auth=hc.WebhookAuth(hc.WebhookAuthBearer(type="bearer", token=RECEIVER_TOKEN)),
        )
    )
    auth = webhook.auth.actual_instance
    expect(isinstance(auth, hc.WebhookAuthBearerMasked), f"the answer's auth is the bearer form, not {type(auth).__name__}")
    expect(auth.token == "********", "the bearer token is masked in answers")
    expect(webhook.secret == "whsec_********", "the signing secret is masked in answers")
    listed = webhooks.list_webhooks()
    expect([w.id for w in listed.data] == [webhook.id] and listed.next_cursor is None, "the list holds the one webhook, on one page")

    event_id = f"evt_python_{RUN}"
    accepted = hc.EventsApi(me).post_event(
        hc.EventEnvelope(
            id=event_id,
            type=event_type,
            account=account.id,
            entity=hc.EventEnvelopeEntity(type="ticket", id="1042"),
            action="update",
            occurred_at=datetime.datetime.now(datetime.timezone.utc),
            data={"ref": "T-1042", "priority": "high"},
            previous={"priority": "low"},
        )
    )
    expect(accepted.status == "accepted", "the event is accepted")

    deliveries = hc.DeliveriesApi(me)
    log = eventually(
        lambda: deliveries.list_deliveries(webhook_id=webhook.id),
        lambda page: any(d.event_id == event_id and d.status == hc.DeliveryStatus.SUCCEEDED for d in page.data),
        "the event's delivery to succeed",
    )
    delivery = next(d for d in log.data if d.event_id == event_id)
    expect(delivery.test is None, "an event's delivery is no test delivery")
    attempts = deliveries.list_delivery_attempts(delivery.id)
    expect(attempts.next_cursor is None, "every attempt is on the one page")
    expect(len(attempts.data) == 1 and attempts.data[0].success, "one attempt, a success")
    attempt = attempts.data[0]
    expect(attempt.response is not None and attempt.response.status == 200, "the receiver answered 200")
    expect(attempt.request.headers.get("authorization") == "********", "the log masks the bearer token")

    tested = webhooks.test_webhook(webhook.id, hc.WebhookTestRequest())
    test_delivery = tested.delivery
    expect(test_delivery.test is True, "the Test button's delivery says test: true")
    expect(test_delivery.status == hc.DeliveryStatus.SUCCEEDED, f"the test delivery succeeded, not {test_delivery.status}")
    expect(len(test_delivery.attempts) == 1 and test_delivery.attempts[0].success, "the test was sent once, with success")
    log = deliveries.list_deliveries(webhook_id=webhook.id)
    listed_test = [d for d in log.data if d.id == test_delivery.id]
    expect(len(listed_test) == 1 and listed_test[0].test is True, "the log lists the test delivery, test: true")

    webhooks.delete_webhook(webhook.id)
    try:
        webhooks.get_webhook(webhook.id)
        gone = False
    except NotFoundException as e:
        gone = e.status == 404
    expect(gone, "the deleted webhook is a 404")

    return {
        "account": account.id,
        "webhook": webhook.id,
        "eventDelivery": {"id": delivery.id, "status": delivery.status.value, "attempts": len(attempts.data)},
        "testDelivery": {"id": test_delivery.id, "status": test_delivery.status.value, "test": test_delivery.test},
        "deliveriesListed": len(log.data),
        "deletedWebhookStatus": 404,
    }


if __name__ == "__main__":
    try:
        print(json.dumps(main()))
    except Exception as e:  # the reason, for the test's failure message
        print(f"python scenario failed: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
