package amocrm_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/amocrm/webhook"
)

// Subscribe a receiver to lead status changes, and let the fake amoCRM deliver one to it.
func ExampleWebhooksService_Add() {
	srv := amocrmtest.NewServer()
	defer srv.Close()
	acct := srv.AddAccount("acme")
	c, err := acct.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// The receiver: amoCRM signs nothing, so the destination URL carries a secret.
	const secret = "3f9a1c7e5b2d4086a9e1f3c5b7d9e0a2"
	h, err := webhook.New(func(ctx context.Context, d *webhook.Delivery) error {
		for _, ev := range d.Events {
			fmt.Println("received", ev.Name(), ev.Lead.Name)
		}
		return nil
	}, webhook.WithSecret(secret), webhook.WithConnections(webhook.OneAccount(acct.ID, acct.Subdomain)))
	if err != nil {
		log.Fatal(err)
	}
	receiver := httptest.NewServer(h)
	defer receiver.Close()

	w, err := c.Webhooks.Add(ctx, amocrm.AddWebhookRequest{
		Destination: receiver.URL + "/amocrm/hook?secret=" + secret,
		Settings:    []amocrm.WebhookEvent{amocrm.WebhookStatusLead},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("subscribed", w.Settings)

	// amoCRM sends status_lead when a lead moves to another stage: move one to "won" (142).
	lead := acct.AddLead(amocrmtest.Lead{Name: "Стеклянная перегородка"})
	if _, err := c.Leads.UpdateOne(ctx, lead.ID, amocrm.UpdateLeadRequest{StatusID: 142}); err != nil {
		log.Fatal(err)
	}
	if _, err := srv.DeliverEvent(ctx, "leads", lead.ID, "status"); err != nil {
		log.Fatal(err)
	}
	// Output:
	// subscribed [status_lead]
	// received status_lead Стеклянная перегородка
}
