package calculator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/widget"
)

// logCRM stands in for amoCRM (calculator.AmoCRMClients.CRM in a real server) and logs what the
// handler writes. The writes of a save run at the same time, so the log is printed sorted.
type logCRM struct {
	mu  sync.Mutex
	log []string
}

func (c *logCRM) add(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = append(c.log, fmt.Sprintf(format, args...))
}

func (c *logCRM) print() {
	c.mu.Lock()
	defer c.mu.Unlock()
	slices.Sort(c.log)
	for _, l := range c.log {
		fmt.Println(l)
	}
	c.log = nil
}

func (c *logCRM) Lead(ctx context.Context, id int64) (calculator.LeadCard, error) {
	return calculator.LeadCard{ID: id, Name: "Душевое ограждение", Products: []calculator.LeadProduct{}}, nil
}

func (c *logCRM) SetLeadPrice(ctx context.Context, leadID, price int64) error {
	c.add("amoCRM: lead %d: price %d", leadID, price)
	return nil
}

func (c *logCRM) AddNote(ctx context.Context, leadID int64, text string) error {
	c.add("amoCRM: lead %d: note %q", leadID, strings.SplitN(text, " по ", 2)[0])
	return nil
}

// UserName and Location make logCRM a calculator.SaverDetails: the note names who saved it.
func (c *logCRM) UserName(ctx context.Context, userID int64) (string, error) {
	return "Ирина Смирнова", nil
}

func (c *logCRM) Location(ctx context.Context) (*time.Location, error) {
	return time.LoadLocation("Europe/Moscow")
}

func (c *logCRM) AttachProducts(ctx context.Context, leadID int64, products []glass.Product) error {
	c.add("amoCRM: lead %d: %d product(s), the first %s", leadID, len(products), products[0].SKU)
	return nil
}

func ExampleNewHandler() {
	key := []byte("a secret of at least 32 random bytes!")
	crm := &logCRM{}
	states, err := oauth.NewStates([]byte("another secret of 32 random bytes!"), 0)
	if err != nil {
		panic(err)
	}
	h, err := calculator.NewHandler(calculator.Config{
		Config: widget.Config{
			PublicURL:   "https://calc.example.com",
			TicketKey:   key,
			OAuth:       oauth.Config{RedirectURL: "https://calc.example.com" + widget.CallbackPath},
			States:      states,
			Connections: tokenstore.NewMemory(),
			Page:        http.NotFoundHandler(),
		},
		Calculations: calculator.NewMemoryCalculations(),
		PriceList:    glass.DefaultPriceList(),
		CRMFor:       func(ctx context.Context, account string) (calculator.CRM, error) { return crm, nil },
	})
	if err != nil {
		panic(err)
	}

	// POST /widget/session issues this ticket after checking amoCRM's disposable token.
	signer, _ := widget.NewTicketSigner(key)
	ticket := signer.Sign(widget.Ticket{Account: "acme.amocrm.ru", AccountID: 1, UserID: 2, LeadID: 42})
	post := func(body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/widget/api", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+ticket)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	order := `{"pieces":[{"material":"float","thickness_mm":8,"width_mm":900,"height_mm":2000,"quantity":1}]}`
	save := `{"action":"save_calculation","idempotency_key":"0b6e4f1a-3c2d-4e5f-8a9b-0c1d2e3f4a5b","order":` + order + `}`
	w := post(save)
	var answer struct {
		Calculation struct {
			Quote struct {
				LeadPrice int64 `json:"lead_price"`
			} `json:"quote"`
			Complete bool `json:"complete"`
		} `json:"calculation"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &answer)
	crm.print()
	fmt.Println(w.Code, answer.Calculation.Quote.LeadPrice, answer.Calculation.Complete)

	// A retry with the same idempotency key writes nothing and answers the same.
	w = post(save)
	crm.print()
	fmt.Println(w.Code)
	// Output:
	// amoCRM: lead 42: 1 product(s), the first float-8
	// amoCRM: lead 42: note "Менеджер: Ирина Смирнова\nРасчёт заказа"
	// amoCRM: lead 42: price 4140
	// 200 4140 true
	// 200
}
