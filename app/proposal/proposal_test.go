package proposal_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/app/proposal"
	"github.com/amokit/amokit/internal/pdftext"
)

// worked is the shower screen of the package glass worked example.
func worked(t testing.TB) *glass.Quote {
	t.Helper()
	o, err := glass.DecodeOrder([]byte(`{
	  "pieces": [{"material": "float", "thickness_mm": 8, "width_mm": 900, "height_mm": 2000, "quantity": 1,
	              "edge": "polish", "tempered": true, "holes": [12, 12], "cutouts": 1, "rounded_corners": 0}],
	  "hardware": [{"code": "hinge_wall_glass", "count": 2}],
	  "installation": true, "delivery": false, "urgent": false, "discount_percent": 0}`))
	require.NoError(t, err)
	q, err := glass.DefaultPriceList().Quote(o)
	require.NoError(t, err)
	return q
}

func sample(q *glass.Quote) *proposal.Proposal {
	msk := time.FixedZone("MSK", 3*3600)
	return &proposal.Proposal{
		Number:     "1024-2",
		Date:       time.Date(2026, 12, 6, 10, 0, 0, 0, msk),
		ValidUntil: time.Date(2026, 12, 20, 0, 0, 0, 0, msk),
		Shop: proposal.Shop{Name: "ООО «Стеклянный дом»", Address: "Москва, ул. Лесная, 5",
			INN: "7701234567", Phone: "+7 495 123-45-67", Email: "zakaz@steklo.example"},
		Client:     proposal.Party{Name: "Ёлкина Анна Сергеевна", Phone: "+7 916 000-00-00"},
		Manager:    proposal.Manager{Name: "Пётр Иванов", Phone: "+7 495 123-45-68"},
		VATPercent: 20,
		Quote:      q,
	}
}

// text renders p and reads the PDF's text back the way a viewer's copy
// does, with runs of spaces (table columns) folded to one.
func text(t *testing.T, p *proposal.Proposal) (string, int) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, proposal.Render(&buf, p))
	raw := pdftext.Text(t, buf.Bytes())
	pages := strings.Count(strings.TrimRight(raw, "\f\n"), "\f") + 1
	return strings.Join(strings.Fields(raw), " "), pages
}

func TestRender_workedExampleReadsBack(t *testing.T) {
	t.Parallel()
	got, pages := text(t, sample(worked(t)))
	assert.Equal(t, 1, pages)
	for _, want := range []string{
		"ООО «Стеклянный дом»", "ИНН 7701234567",
		"Коммерческое предложение № 1024-2 от 06.12.2026",
		"Для: Ёлкина Анна Сергеевна",
		"Изделие 1: 900 × 2000 мм, 1 шт.; кромка: полировка; закалка; отверстия Ø 12, 12 мм; вырезов: 1",
		"1 Стекло прозрачное М1, 8 мм 1,8 м² 2 300,00 руб. 4 140,00 руб.",
		"Итого: 17 204,00 руб.",
		"в т. ч. НДС 20 %: 2 867,33 руб.",
		"действительно до 20.12.2026",
		"Менеджер: Пётр Иванов, +7 495 123-45-68",
	} {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, got, "К оплате", "a whole-rouble total needs no rounded line")
}

func TestRender_withoutVATAndRoundedTotal(t *testing.T) {
	t.Parallel()
	q := worked(t)
	q.Total += 50 // 17 204,50: the deal price is rounded half-up
	q.LeadPrice = 17205
	p := sample(q)
	p.VATPercent = 0
	got, _ := text(t, p)
	assert.Contains(t, got, "Без НДС")
	assert.NotContains(t, got, "НДС 20")
	assert.Contains(t, got, "17 205 руб.")
}

func TestRender_twentyPiecesFitSizeBudget(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, proposal.Render(&buf, twenty(t)))
	assert.LessOrEqual(t, buf.Len(), 300<<10, "a 20-piece proposal must stay under 300 KB")
	got := pdftext.Text(t, buf.Bytes())
	assert.Contains(t, got, "Изделие 20:")
	assert.Contains(t, got, "Итого:")
}

func TestRender_logo(t *testing.T) {
	t.Parallel()
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	img.Set(3, 3, color.RGBA{200, 0, 0, 255})
	var logo bytes.Buffer
	require.NoError(t, png.Encode(&logo, img))
	p := sample(worked(t))
	p.Shop.Logo = logo.Bytes()
	got, _ := text(t, p)
	assert.Contains(t, got, "ООО «Стеклянный дом»")

	p.Shop.Logo = []byte("GIF89a not a logo")
	err := proposal.Render(&bytes.Buffer{}, p)
	assert.ErrorContains(t, err, "PNG or JPEG")
}

func TestRender_refusesWhatCannotBePrinted(t *testing.T) {
	t.Parallel()
	p := sample(worked(t))
	p.Number = " "
	assert.True(t, errors.Is(proposal.Render(&bytes.Buffer{}, p), proposal.ErrNoNumber))
	p = sample(worked(t))
	p.Shop.Name = ""
	assert.True(t, errors.Is(proposal.Render(&bytes.Buffer{}, p), proposal.ErrNoShop))
	assert.True(t, errors.Is(proposal.Render(&bytes.Buffer{}, &proposal.Proposal{Number: "1"}), proposal.ErrNoQuote))
}

func TestVATIncluded(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		total   int64
		percent int
		want    int64
	}{
		{1720400, 20, 286733}, // 17 204 × 20 / 120 = 2 867,333…
		{120, 20, 20},
		{1, 20, 0}, // 0,1666… kopeck
		{3, 20, 1}, // 0,5 kopeck rounds up
		{1000, 0, 0},
		{11000, 10, 1000},
	} {
		assert.Equal(t, c.want, proposal.VATIncluded(c.total, c.percent), "%d at %d %%", c.total, c.percent)
	}
}

// twenty is an order of 20 different pieces with hardware, urgency and a discount.
func twenty(t testing.TB) *proposal.Proposal {
	t.Helper()
	o := glass.Order{Hardware: []glass.HardwareItem{{Code: "hinge_wall_glass", Count: 4}},
		Installation: true, Delivery: true, Urgent: true, DiscountPercent: 5}
	for i := range 20 {
		o.Pieces = append(o.Pieces, glass.Piece{Material: "float", ThicknessMM: 8, WidthMM: 400 + 50*i,
			HeightMM: 600 + 30*i, Quantity: 1 + i%3, Edge: glass.EdgePolish, Tempered: i%2 == 0,
			Holes: []int{12, 12}, Cutouts: i % 2, RoundedCorners: i % 4})
	}
	q, err := glass.DefaultPriceList().Quote(o)
	require.NoError(t, err)
	return sample(q)
}

func BenchmarkRender20Pieces(b *testing.B) {
	p := twenty(b)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := proposal.Render(&buf, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/1024, "KB/pdf")
}
