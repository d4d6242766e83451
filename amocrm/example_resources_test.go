package amocrm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/amokit/amokit/amocrm"
)

// serveResourceFixture answers with testdata/name, its links pointing back at the test server.
func serveResourceFixture(w http.ResponseWriter, r *http.Request, status int, name string) {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	b = bytes.ReplaceAll(b, []byte("https://acme.amocrm.ru/"), []byte("http://"+r.Host+"/"))
	w.Header().Set("Content-Type", "application/hal+json")
	w.WriteHeader(status)
	w.Write(b)
}

// newResourceExampleClient returns a Client for a local stand-in of amoCRM.
func newResourceExampleClient(srv *httptest.Server, opts ...amocrm.Option) *amocrm.Client {
	opts = append([]amocrm.Option{amocrm.WithBaseURL(srv.URL + "/"), amocrm.WithAccessToken("long-lived-token")}, opts...)
	client, err := amocrm.New("acme.amocrm.ru", opts...)
	if err != nil {
		log.Fatal(err)
	}
	return client
}

func ExampleLeadsService_All() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			serveResourceFixture(w, r, http.StatusOK, "leads_list_page2.json")
			return
		}
		serveResourceFixture(w, r, http.StatusOK, "leads_list_page1.json")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := newResourceExampleClient(srv)

	opts := &amocrm.LeadListOptions{
		PipelineIDs: []int64{1300},
		With:        []amocrm.LeadWith{amocrm.LeadWithLossReason},
		Limit:       2,
	}
	// All fetches page after page, following amoCRM's next links, as the loop asks for more.
	for lead, err := range client.Leads.All(context.Background(), opts) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		price := fmt.Sprint(lead.Price)
		if lead.PriceWithMinorUnits != "" {
			price = lead.PriceWithMinorUnits.String()
		}
		fmt.Printf("%d %q price %s", lead.ID, lead.Name, price)
		switch {
		case lead.IsWon():
			fmt.Print(", won")
		case lead.IsLost():
			reason, _ := lead.Embedded.LossReason.First()
			fmt.Printf(", lost: %s", reason.Name)
		}
		fmt.Println()
	}
	// Output:
	// 19619 "Windows for the Ivanovs" price 46333, lost: Too expensive
	// 14460 "Mirror" price 1250.50, won
	// 14461 "Shower screen" price 99.99
}

func ExampleLeadsService_Create() {
	nextID := int64(100)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		var items []struct {
			RequestID string `json:"request_id"`
			Fields    []struct {
				FieldID int64 `json:"field_id"`
			} `json:"custom_fields_values"`
		}
		if err := json.NewDecoder(r.Body).Decode(&items); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, it := range items {
			if len(it.Fields) > 0 && it.Fields[0].FieldID == 999 {
				// amoCRM refuses the whole request and names the item by its request_id.
				serveResourceFixture(w, r, http.StatusBadRequest, "error_validation.json")
				return
			}
		}
		var answers []map[string]any
		for _, it := range items {
			nextID++
			answers = append(answers, map[string]any{"id": nextID, "request_id": it.RequestID})
		}
		w.Header().Set("Content-Type", "application/hal+json")
		json.NewEncoder(w).Encode(map[string]any{"_embedded": map[string]any{"leads": answers}})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	// Two leads per request, to show the batching on five leads; the default is 50.
	client := newResourceExampleClient(srv, amocrm.WithBatchSize(2))

	leads := make([]amocrm.CreateLeadRequest, 5)
	for i := range leads {
		leads[i] = amocrm.CreateLeadRequest{Name: fmt.Sprintf("Order %d", i), Price: 1000 * int64(i+1)}
	}
	leads[3].CustomFieldsValues = []amocrm.CustomFieldInput{amocrm.FieldByID(999, amocrm.EnumValue(1))}

	saved, err := client.Leads.Create(context.Background(), leads)
	for _, s := range saved {
		fmt.Printf("order %d saved as lead %d\n", s.Index, s.ID)
	}
	var batchErr *amocrm.BatchError
	if errors.As(err, &batchErr) {
		for _, f := range batchErr.Failed {
			if len(f.ValidationErrors) > 0 {
				fmt.Printf("order %d is invalid: %s\n", f.Index, f.ValidationErrors[0])
			} else {
				fmt.Printf("order %d was refused with its request\n", f.Index)
			}
		}
	}
	// Output:
	// order 0 saved as lead 101
	// order 1 saved as lead 102
	// order 4 saved as lead 103
	// order 2 was refused with its request
	// order 3 is invalid: NotSupportedChoice at custom_fields_values.0.field_id: The value you selected is not a valid choice.
}

func ExampleLeadsService_LinkProducts() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v4/catalogs", func(w http.ResponseWriter, r *http.Request) {
		serveResourceFixture(w, r, http.StatusOK, "catalogs_list.json")
	})
	mux.HandleFunc("POST /api/v4/leads/7593265/link", func(w http.ResponseWriter, r *http.Request) {
		serveResourceFixture(w, r, http.StatusOK, "lead_products_linked.json")
	})
	mux.HandleFunc("GET /api/v4/leads/7593265/links", func(w http.ResponseWriter, r *http.Request) {
		serveResourceFixture(w, r, http.StatusOK, "lead_products.json")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := newResourceExampleClient(srv)
	ctx := context.Background()

	catalog, err := client.Catalogs.ProductsCatalog(ctx)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	const priceField = 271319 // the catalog's PRICE field
	err = client.Leads.LinkProducts(ctx, 7593265, []amocrm.ProductLink{
		{ElementID: 425909, CatalogID: catalog.ID, Quantity: "2", PriceID: priceField},
		{ElementID: 425911, CatalogID: catalog.ID, Quantity: "1.5", PriceID: priceField},
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	products, err := client.Leads.Products(ctx, 7593265)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	for _, p := range products {
		fmt.Printf("catalog %d element %d × %s\n", p.CatalogID, p.ElementID, p.Quantity)
	}
	// Output:
	// catalog 4521 element 425909 × 2
	// catalog 4521 element 425911 × 1.5
}
