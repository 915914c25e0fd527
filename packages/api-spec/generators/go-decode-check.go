// Decodes answers of Herald's API with the Go client that openapi-generator made from
// openapi.yaml (client-generators.sh copies this file into it as cmd/herald-decode-check):
// a webhook with each form of `auth` (each must land in its own member of the oneOf, the
// third-party plugin's included), a Test button delivery (`test: true`) and an attempt list
// (`nextCursor: null`). Exits 1, saying what failed, if one does not decode as it should.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	herald "github.com/herald/herald-go"
)

const webhookJSON = `{"id":"wh_01JD8X3Y5Z6A7B8C9D0E1F2G3H","name":"ERP","description":"","url":"https://erp.example.com/hooks/herald",
"method":"POST","active":true,"eventTypes":["ticket.priority_changed"],"auth":%s,"headers":{},"secret":"whsec_********",
"dedupWindowSeconds":60,"createdAt":"2026-11-24T10:55:27.000Z","updatedAt":"2026-11-24T10:55:27.000Z"}`

func member(a herald.WebhookAuthMasked) string {
	switch {
	case a.WebhookAuthNone != nil:
		return "none"
	case a.WebhookAuthBasicMasked != nil:
		return "basic"
	case a.WebhookAuthBearerMasked != nil:
		return "bearer"
	case a.WebhookAuthHeadersMasked != nil:
		return "headers"
	case a.WebhookAuthPlugin != nil:
		return "plugin"
	}
	return "nothing"
}

func main() {
	failed := 0
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "go decode check: "+format+"\n", args...)
		failed++
	}
	auths := []struct{ json, want string }{
		{`{"type":"none"}`, "none"},
		{`{"type":"basic","username":"erp","password":"********"}`, "basic"},
		{`{"type":"bearer","token":"********"}`, "bearer"},
		{`{"type":"headers","headers":{"X-Api-Key":"********"}}`, "headers"},
		{`{"type":"oauth2-client-credentials","tokenUrl":"https://auth.example.com/token","clientId":"herald","clientSecret":"********"}`, "plugin"},
		{`{"type":"hmac","key":"********"}`, "plugin"},
	}
	for _, a := range auths {
		var w herald.Webhook
		if err := json.Unmarshal([]byte(fmt.Sprintf(webhookJSON, a.json)), &w); err != nil {
			fail("webhook with auth %s: %v", a.json, err)
			continue
		}
		if got := member(w.Auth); got != a.want {
			fail("webhook with auth %s: decoded as %s, not %s", a.json, got, a.want)
		}
	}

	var d herald.Delivery
	deliveryJSON := `{"id":"dlv_01M7W4B2C3D4E5F6G7H8J9K0MN","webhookId":"wh_01JD8X3Y5Z6A7B8C9D0E1F2G3H","schemaId":null,
"eventId":"evt_test","eventType":"herald.test","entity":{"type":"account","id":"acc_1"},"status":"succeeded","attemptCount":1,
"nextAttemptAt":null,"test":true,"createdAt":"2026-11-24T10:55:27.000Z","updatedAt":"2026-11-24T10:55:27.000Z"}`
	if err := json.Unmarshal([]byte(deliveryJSON), &d); err != nil {
		fail("test delivery: %v", err)
	} else if !d.GetTest() {
		fail("test delivery: test is not true")
	}

	var attempts herald.AttemptList
	if err := json.Unmarshal([]byte(`{"data":[],"nextCursor":null}`), &attempts); err != nil {
		fail("attempt list: %v", err)
	} else if attempts.NextCursor.Get() != nil {
		fail("attempt list: nextCursor is not null")
	}

	if failed > 0 {
		os.Exit(1)
	}
	fmt.Printf("go decode check: %d webhooks, a test delivery and an attempt list decoded\n", len(auths))
}
