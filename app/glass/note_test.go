package glass_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/glass"
)

func TestQuote_NoteText(t *testing.T) {
	t.Parallel()
	order := glass.Order{
		Pieces: []glass.Piece{
			p(size(900, 2000), edge(glass.EdgePolish), tempered, holes(12, 12), cutouts(1)),
			p(mat("mirror", 4), size(1001, 550), qty(2), corners(4)),
		},
		Hardware:     []glass.HardwareItem{{Code: "hinge_wall_glass", Count: 2}},
		Installation: true, Delivery: true, Urgent: true, DiscountPercent: 10,
	}
	q, err := glass.DefaultPriceList().Quote(order)
	require.NoError(t, err)
	// mirror: 0.55055 × 2 = 1.1011 m² × 1500 = 1651.65; corners 8 × 150 = 1200;
	// production 9204 + 1651.65 + 1200 = 12055.65; urgency 30 % = 3616.695 → 3616.70;
	// installation (1.8 + 1.1011) = 2.9011 m² × 1500 = 4351.65;
	// above = 12055.65 + 5000 + 3616.70 + 4351.65 + 2000 = 27024.00; discount 10 % = 2702.40; total 24321.60
	want := `Расчёт заказа по прайс-листу «default-2025.1»

Изделие 1: 900 × 2000 мм, 1 шт.; кромка: полировка; закалка; отверстия Ø 12, 12 мм; вырезов: 1
  Стекло прозрачное М1, 8 мм: 1,8 м² × 2 300,00 ₽ = 4 140,00 ₽
  Полировка кромки, 8 мм: 5,8 м × 280,00 ₽ = 1 624,00 ₽
  Закалка, 8 мм: 1,8 м² × 1 300,00 ₽ = 2 340,00 ₽
  Отверстие до 12 мм: 2 шт. × 150,00 ₽ = 300,00 ₽
  Вырез: 1 шт. × 800,00 ₽ = 800,00 ₽

Изделие 2: 1001 × 550 мм, 2 шт.; кромка: без обработки; скруглённых углов: 4
  Зеркало серебро, 4 мм: 1,1011 м² × 1 500,00 ₽ = 1 651,65 ₽
  Скругление угла: 8 шт. × 150,00 ₽ = 1 200,00 ₽

По заказу:
  Петля душевая стена–стекло: 2 шт. × 2 500,00 ₽ = 5 000,00 ₽
  Срочное изготовление, +30 % к изготовлению: 3 616,70 ₽
  Монтаж: 2,9011 м² × 1 500,00 ₽ = 4 351,65 ₽
  Доставка: 2 000,00 ₽
  Скидка 10 %: -2 702,40 ₽

Итого: 24 321,60 ₽
Цена сделки: 24 322 ₽
`
	assert.Equal(t, want, q.NoteText())
}

func TestQuote_NoteTextWithoutOrder(t *testing.T) {
	t.Parallel()
	q, err := glass.DefaultPriceList().Quote(worked())
	require.NoError(t, err)
	data, err := json.Marshal(q)
	require.NoError(t, err)
	var back glass.Quote
	require.NoError(t, json.Unmarshal(data, &back))
	note := back.NoteText()
	assert.Contains(t, note, "\nИзделие 1:\n  Стекло прозрачное М1, 8 мм: 1,8 м² × 2 300,00 ₽ = 4 140,00 ₽\n")
	assert.True(t, strings.HasSuffix(note, "Итого: 17 204,00 ₽\nЦена сделки: 17 204 ₽\n"))
}

func TestPieceSummaryAndQuantityText(t *testing.T) {
	t.Parallel()
	q, err := glass.DefaultPriceList().Quote(worked())
	require.NoError(t, err)
	if got, want := q.PieceSummary(0), "Изделие 1: 900 × 2000 мм, 1 шт.; кромка: полировка; закалка; отверстия Ø 12, 12 мм; вырезов: 1"; got != want {
		t.Errorf("PieceSummary(0) = %q, want %q", got, want)
	}
	if got, want := q.Lines[0].QuantityText(), "1,8 м²"; got != want {
		t.Errorf("QuantityText = %q, want %q", got, want)
	}
	if got, want := q.Lines[3].QuantityText(), "2 шт."; got != want {
		t.Errorf("QuantityText = %q, want %q", got, want)
	}
}
