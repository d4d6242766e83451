package webhook_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/amokit/amokit/amocrm/webhook"
)

// updateLeads builds an update_lead delivery of n leads, each with the fields amoCRM documents,
// a tag and five custom fields (text, select, date, checkbox, multiselect).
func updateLeads(n int) []byte {
	var b strings.Builder
	for i := range n {
		p := fmt.Sprintf("leads[update][%d]", i)
		line := func(k, v string) { fmt.Fprintf(&b, "%s%s=%s\n", p, k, v) }
		line("[id]", fmt.Sprint(15318175+i))
		line("[name]", fmt.Sprintf("Стеклопакет, заказ %d", 1000+i))
		line("[status_id]", "67548619")
		line("[old_status_id]", "67548607")
		line("[price]", "125000")
		line("[responsible_user_id]", "11087123")
		line("[last_modified]", "1726572758")
		line("[modified_user_id]", "11087123")
		line("[created_user_id]", "11087123")
		line("[date_create]", "1726572752")
		line("[pipeline_id]", "8572511")
		line("[account_id]", "12345678")
		line("[tags][0][id]", "80147")
		line("[tags][0][name]", "repeat")
		line("[custom_fields][0][id]", "1246483")
		line("[custom_fields][0][name]", "Адрес доставки")
		line("[custom_fields][0][values][0][value]", "Москва, ул. Стекольная, 1")
		line("[custom_fields][1][id]", "1246489")
		line("[custom_fields][1][name]", "Тип стекла")
		line("[custom_fields][1][values][0][value]", "Закалённое")
		line("[custom_fields][1][values][0][enum]", "908107")
		line("[custom_fields][2][id]", "1246491")
		line("[custom_fields][2][name]", "Дата монтажа")
		line("[custom_fields][2][values][0]", "1725915600")
		line("[custom_fields][3][id]", "1246493")
		line("[custom_fields][3][name]", "Замер сделан")
		line("[custom_fields][3][values][0]", "1")
		line("[custom_fields][4][id]", "1246495")
		line("[custom_fields][4][name]", "Опции")
		line("[custom_fields][4][values][0][value]", "Шлифовка")
		line("[custom_fields][4][values][0][enum]", "908111")
		line("[custom_fields][4][values][1][value]", "Фацет")
		line("[custom_fields][4][values][1][enum]", "908113")
		line("[created_at]", "1726572752")
		line("[updated_at]", "1726572758")
	}
	b.WriteString("account[subdomain]=example\naccount[id]=12345678\naccount[_links][self]=https://example.amocrm.ru\n")
	return encodeLines(b.String())
}

// BenchmarkParseUpdateLead50 decodes an update_lead delivery of 50 leads with custom fields; the
// target is at most 200 µs per delivery.
func BenchmarkParseUpdateLead50(b *testing.B) {
	body := updateLeads(50)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := webhook.Parse(body)
		if err != nil || len(d.Events) != 50 {
			b.Fatal(err)
		}
	}
}

func TestUpdateLeads50Decodes(t *testing.T) {
	t.Parallel()
	d, err := webhook.Parse(updateLeads(50))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 50 {
		t.Fatalf("%d events, want 50", len(d.Events))
	}
	last := d.Events[49].Lead
	if last.ID != 15318175+49 || len(last.CustomFields) != 5 || len(last.CustomFields[4].Values) != 2 || last.CustomFields[4].Values[1].Enum != 908113 {
		t.Fatalf("last lead decoded wrong: %+v", last)
	}
}

// BenchmarkParseQueryBaseline is net/url's form decoding of the same body into flat url.Values,
// for comparison: Parse does that work and builds the typed events.
func BenchmarkParseQueryBaseline(b *testing.B) {
	body := string(updateLeads(50))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := url.ParseQuery(body); err != nil {
			b.Fatal(err)
		}
	}
}
