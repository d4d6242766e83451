package demo_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/app/demo"
)

func leadIDs(leads []amocrmtest.Lead) []int64 {
	var out []int64
	for _, l := range leads {
		out = append(out, l.ID)
	}
	return out
}

func TestSeed(t *testing.T) {
	t.Parallel()
	one, two := amocrmtest.NewServer(), amocrmtest.NewServer()
	t.Cleanup(one.Close)
	t.Cleanup(two.Close)
	d1, d2 := demo.Seed(one), demo.Seed(two)
	assert.Equal(t, d1.Account.ID, d2.Account.ID, "ids are deterministic")
	assert.Equal(t, leadIDs(d1.Leads), leadIDs(d2.Leads))

	assert.Equal(t, demo.Subdomain, d1.Account.Subdomain)
	require.GreaterOrEqual(t, len(d1.Leads), 3)
	for _, l := range d1.Leads {
		require.NotEmpty(t, l.ContactIDs, l.Name)
		c, ok := one.Contact(l.ContactIDs[0])
		require.True(t, ok)
		var codes []string
		for _, f := range c.CustomFields {
			codes = append(codes, f.FieldCode)
		}
		assert.ElementsMatch(t, []string{"PHONE", "EMAIL"}, codes, c.Name)
		assert.Equal(t, d1.Manager.ID, l.ResponsibleUserID)
	}
	assert.Equal(t, "products", d1.Products.Type)
	assert.Len(t, one.Elements(d1.Products.ID), len(d1.ProductElements))
	assert.Len(t, one.Links("leads", d1.Leads[0].ID), 3, "a contact and two products")
	assert.Len(t, one.Notes("leads", d1.Leads[0].ID), 1)
	assert.Equal(t, "regular", d1.Services.Type)
	assert.Panics(t, func() { demo.Seed(one) })
}

// ExampleSeed shows the demo account the demo server starts from.
func ExampleSeed() {
	srv := amocrmtest.NewServer()
	defer srv.Close()
	d := demo.Seed(srv)
	fmt.Println(d.Account.Host, "—", d.Account.Name)
	for _, l := range d.Leads {
		c, _ := srv.Contact(l.ContactIDs[0])
		fmt.Printf("%s: %d ₽, %s\n", l.Name, l.Price, c.Name)
	}
	for _, el := range srv.Elements(d.Products.ID)[:2] {
		fmt.Println(el.Name, el.CustomFields[1].Values[0].Value)
	}
	// Output:
	// steklo.amocrm.ru — Стекольная мастерская «Грань»
	// Душевое ограждение 900×2000: 17204 ₽, Алексей Петров
	// Зеркало в прихожую 600×1600: 5600 ₽, Мария Иванова
	// Кухонный фартук из стекла: 24500 ₽, Сергей Кузнецов
	// Стеклянная перегородка в офис: 0 ₽, Сергей Кузнецов
	// Стекло прозрачное М1, 8 мм 2300
	// Стекло осветлённое, 10 мм 4500
}
