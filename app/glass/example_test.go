package glass_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/amokit/amokit/app/glass"
)

// The worked example of docs/glass-domain.md#worked-example: a shower
// screen with hinges, installed.
func ExamplePriceList_Quote() {
	order, err := glass.DecodeOrder([]byte(`{
	  "pieces": [{"material": "float", "thickness_mm": 8, "width_mm": 900, "height_mm": 2000, "quantity": 1,
	              "edge": "polish", "tempered": true, "holes": [12, 12], "cutouts": 1, "rounded_corners": 0}],
	  "hardware": [{"code": "hinge_wall_glass", "count": 2}],
	  "installation": true, "delivery": false, "urgent": false, "discount_percent": 0}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	q, err := glass.DefaultPriceList().Quote(order)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range q.Lines {
		fmt.Printf("%-22s %4s %-3s × %7d = %7d\n", l.Code, l.Quantity, l.Unit, l.UnitPrice, l.Amount)
	}
	fmt.Println("total, kopecks:", q.Total)
	fmt.Println("deal price, roubles:", q.LeadPrice)
	// Output:
	// float-8                 1.8 m2  ×  230000 =  414000
	// edge-polish-8           5.8 m   ×   28000 =  162400
	// temper-8                1.8 m2  ×  130000 =  234000
	// hole-12                   2 pcs ×   15000 =   30000
	// cutout                    1 pcs ×   80000 =   80000
	// hw-hinge_wall_glass       2 pcs ×  250000 =  500000
	// installation-minimum      1 pcs ×  300000 =  300000
	// total, kopecks: 1720400
	// deal price, roubles: 17204
}

// DecodeOrder reports every problem with the form of an order at once.
func ExampleDecodeOrder_invalid() {
	_, err := glass.DecodeOrder([]byte(`{"pieces": [{"material": "float", "thickness_mm": 8,
	  "width_mm": 900.5, "height_mm": "2000", "quantity": 1, "colour": "green"}], "urgent": null}`))
	var verr *glass.ValidationError
	if errors.As(err, &verr) {
		for _, fe := range verr.Errors {
			fmt.Printf("%s [%s] %s\n", fe.Path, fe.Code, fe.MessageEN)
		}
	}
	// Output:
	// pieces[0].width_mm [invalid_type] expected a whole number, got 900.5
	// pieces[0].height_mm [invalid_type] expected a whole number, got a string
	// pieces[0].colour [unknown_field] unknown field "colour"
	// urgent [invalid_type] expected true or false, got null
}

// Quote checks an order against the rules and the price list and reports
// every violation, in Russian and in English.
func ExamplePriceList_Quote_invalid() {
	order := glass.Order{Pieces: []glass.Piece{{
		Material: "mirror", ThicknessMM: 4, WidthMM: 600, HeightMM: 3500, Quantity: 1,
		Tempered: true, Holes: []int{3, 12},
	}}, DiscountPercent: 40}
	_, err := glass.DefaultPriceList().Quote(order)
	var verr *glass.ValidationError
	if errors.As(err, &verr) {
		for _, fe := range verr.Errors {
			fmt.Printf("%s: %s\n  %s\n", fe.Path, fe.Message, fe.MessageEN)
		}
	}
	// Output:
	// pieces[0].height_mm: длинная сторона 3500 мм больше 3210 мм (лист 3210 × 2250 мм)
	//   the longer side of 3500 mm exceeds 3210 mm (the sheet is 3210 × 2250 mm)
	// pieces[0].tempered: «Зеркало серебро» нельзя закалить: закаляется только стекло, не зеркало и не триплекс
	//   material "mirror" cannot be tempered: only glass is, not mirror or laminated glass
	// pieces[0].holes[0]: отверстие 3 мм меньше толщины стекла 4 мм
	//   a 3 mm hole is smaller than the 4 mm glass it goes through
	// discount_percent: скидка в процентах должна быть от 0 до 30, указано 40
	//   the discount percentage must be 0 to 30, got 40
}

func ExampleQuote_NoteText() {
	q, err := glass.DefaultPriceList().Quote(glass.Order{
		Pieces: []glass.Piece{{Material: "mirror", ThicknessMM: 4, WidthMM: 600, HeightMM: 1200, Quantity: 2,
			Edge: glass.EdgeFacet, Holes: []int{8, 8, 8, 8}}},
		Hardware: []glass.HardwareItem{{Code: "standoff", Count: 8}},
		Delivery: true, DiscountPercent: 5,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(q.NoteText())
	// Output:
	// Расчёт заказа по прайс-листу «default-2025.1»
	//
	// Изделие 1: 600 × 1200 мм, 2 шт.; кромка: фацет; отверстия Ø 8, 8, 8, 8 мм
	//   Зеркало серебро, 4 мм: 1,44 м² × 1 500,00 ₽ = 2 160,00 ₽
	//   Фацет, 4 мм: 7,2 м × 450,00 ₽ = 3 240,00 ₽
	//   Отверстие до 12 мм: 8 шт. × 150,00 ₽ = 1 200,00 ₽
	//
	// По заказу:
	//   Дистанционный держатель: 8 шт. × 450,00 ₽ = 3 600,00 ₽
	//   Доставка: 2 000,00 ₽
	//   Скидка 5 %: -610,00 ₽
	//
	// Итого: 11 590,00 ₽
	// Цена сделки: 11 590 ₽
}

func ExampleQuote_Products() {
	q, err := glass.DefaultPriceList().Quote(glass.Order{
		Pieces: []glass.Piece{
			{Material: "float", ThicknessMM: 6, WidthMM: 1000, HeightMM: 500, Quantity: 1, Edge: glass.EdgeGrind},
			{Material: "float", ThicknessMM: 6, WidthMM: 700, HeightMM: 500, Quantity: 2, Edge: glass.EdgeGrind},
		},
		Urgent: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range q.Products() {
		fmt.Printf("%s %q %s %s × %d\n", p.SKU, p.Name, p.Quantity, p.Unit, p.UnitPrice)
	}
	// Output:
	// float-6 "Стекло прозрачное М1, 6 мм" 1.2 m2 × 170000
	// edge-grind-6 "Шлифовка кромки, 6 мм" 7.8 m × 15000
}

// A shop's own price list is read and checked in one step; every problem
// is listed.
func ExampleLoadPriceList() {
	_, err := glass.LoadPriceList(strings.NewReader(`{"version": "shop-1", "materials": [
	  {"code": "float", "name": "Стекло", "kind": "glass", "prices": {"4": -1100}}],
	  "edges": [], "tempering": {}, "holes": [{"max_diameter_mm": 100, "price": 300}],
	  "cutout": 800, "rounded_corner": 150, "installation": {"per_m2": 1500, "minimum": 3000},
	  "delivery": 2000, "urgency_percent": 30}`))
	var plErr *glass.PriceListError
	if errors.As(err, &plErr) {
		for _, fe := range plErr.Problems {
			fmt.Printf("%s: %s\n", fe.Path, fe.MessageEN)
		}
	}
	// Output:
	// materials[0].prices["4"]: a price cannot be negative
	// edges: there are no prices for the grind edge
	// edges: there are no prices for the polish edge
	// tempering: no tempering price for thickness 4 mm
}
