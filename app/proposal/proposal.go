// Package proposal renders a glass shop's commercial proposal (коммерческое
// предложение, КП) for a priced order as a PDF: the shop's details and logo,
// the client, every piece with its size and work lines, hardware and
// services, discount and surcharge, the total with its VAT line, the
// validity date, the manager and the proposal number.
//
// The PDF is written with go-pdf/fpdf using the Go fonts (embedded, subset
// to the glyphs used), so Cyrillic renders everywhere and the text can be
// copied and searched. The Go fonts have no rouble sign, so amounts are
// written "17 204,00 руб.", as Russian business documents usually do.
//
//	var buf bytes.Buffer
//	err := proposal.Render(&buf, &proposal.Proposal{
//		Number: "12-3", Date: time.Now(), ValidUntil: time.Now().AddDate(0, 0, 14),
//		Shop:   proposal.Shop{Name: "ООО «Стекло»", INN: "7701234567"},
//		Client: proposal.Party{Name: "Иван Петров"},
//		Quote:  q,
//	})
package proposal

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // logos may be JPEG
	_ "image/png"  // or PNG
	"io"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/amokit/amokit/app/glass"
)

// Shop is the seller as it appears in the proposal's header.
type Shop struct {
	Name    string
	Address string
	INN     string
	Phone   string
	Email   string
	// Logo is a PNG or JPEG image, drawn at the top left; empty for none.
	Logo []byte
}

// Party is the client the proposal is addressed to: the deal's main contact
// or company.
type Party struct {
	Name  string
	Phone string
	Email string
}

// Manager is the person who made the proposal.
type Manager struct {
	Name  string
	Phone string
}

// Proposal is everything a commercial proposal shows.
type Proposal struct {
	// Number identifies the proposal, e.g. "1024-2" (deal 1024, second
	// calculation). Required.
	Number string
	// Date is when the proposal was made; ValidUntil the last day its
	// prices hold. Both are printed as dates in their own location.
	Date       time.Time
	ValidUntil time.Time
	Shop       Shop
	Client     Party
	Manager    Manager
	// VATPercent is the VAT rate included in the prices: 0 prints «Без НДС»,
	// 20 prints «в т. ч. НДС 20 %» with the amount.
	VATPercent int
	// Quote is the priced order; its Order describes the pieces.
	Quote *glass.Quote
}

// Errors returned by Render for a proposal that cannot be printed.
var (
	ErrNoQuote  = errors.New("proposal: no quote to print")
	ErrNoNumber = errors.New("proposal: the proposal has no number")
	ErrNoShop   = errors.New("proposal: the shop has no name (set it on the admin page)")
)

// VATIncluded returns the VAT contained in total kopecks at percent,
// total × percent / (100 + percent) rounded half-up to the kopeck.
func VATIncluded(total int64, percent int) int64 {
	if percent <= 0 {
		return 0
	}
	num := total * int64(percent)
	den := int64(100 + percent)
	q, r := num/den, num%den
	if 2*r >= den {
		q++
	}
	return q
}

// Money formats kopecks as the proposal prints them: "17 204,00 руб.".
func Money(kopecks int64) string {
	return strings.TrimSuffix(glass.FormatKopecks(kopecks), "₽") + "руб."
}

const (
	pageW, margin = 210.0, 15.0
	contentW      = pageW - 2*margin
	lineH         = 5.0
	family        = "go"
)

// Column widths of the lines table: №, name, quantity, price, amount.
var cols = [5]float64{9, 87, 26, 29, 29}

// Render writes p as a PDF to w.
func Render(w io.Writer, p *Proposal) error {
	switch {
	case p == nil || p.Quote == nil:
		return ErrNoQuote
	case strings.TrimSpace(p.Number) == "":
		return ErrNoNumber
	case strings.TrimSpace(p.Shop.Name) == "":
		return ErrNoShop
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin)
	pdf.AddUTF8FontFromBytes(family, "", goregular.TTF)
	pdf.AddUTF8FontFromBytes(family, "B", gobold.TTF)
	title := "Коммерческое предложение № " + p.Number
	pdf.SetTitle(title, true)
	pdf.SetAuthor(p.Shop.Name, true)
	pdf.SetCreationDate(p.Date)
	pdf.SetModificationDate(p.Date)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-margin + 4)
		pdf.SetFont(family, "", 8)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(0, 4, fmt.Sprintf("%s · стр. %d", title, pdf.PageNo()), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()

	if err := header(pdf, p); err != nil {
		return err
	}
	pdf.Ln(4)
	pdf.SetFont(family, "B", 15)
	pdf.MultiCell(contentW, 7, title+" от "+date(p.Date), "", "L", false)
	pdf.SetFont(family, "", 10)
	client := "Для: " + p.Client.Name
	if contact := join(", ", p.Client.Phone, p.Client.Email); contact != "" {
		client += ", " + contact
	}
	if strings.TrimSpace(p.Client.Name) != "" {
		pdf.MultiCell(contentW, lineH, client, "", "L", false)
	}
	pdf.Ln(3)

	table(pdf, p.Quote)
	totals(pdf, p)

	pdf.Ln(4)
	pdf.SetFont(family, "", 10)
	if !p.ValidUntil.IsZero() {
		pdf.MultiCell(contentW, lineH, "Предложение действительно до "+date(p.ValidUntil)+" включительно.", "", "L", false)
	}
	pdf.MultiCell(contentW, lineH, "Цены по прайс-листу «"+p.Quote.PriceListVersion+"».", "", "L", false)
	if m := join(", ", p.Manager.Name, p.Manager.Phone); m != "" {
		pdf.MultiCell(contentW, lineH, "Менеджер: "+m, "", "L", false)
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("proposal: %w", err)
	}
	return pdf.Output(w)
}

// header draws the logo and the shop's details.
func header(pdf *fpdf.Fpdf, p *Proposal) error {
	x := margin
	if len(p.Shop.Logo) > 0 {
		_, format, err := image.DecodeConfig(bytes.NewReader(p.Shop.Logo))
		if err != nil || (format != "png" && format != "jpeg") {
			return errors.New("proposal: the logo is not a PNG or JPEG image")
		}
		typ := map[string]string{"png": "PNG", "jpeg": "JPG"}[format]
		pdf.RegisterImageOptionsReader("logo", fpdf.ImageOptions{ImageType: typ}, bytes.NewReader(p.Shop.Logo))
		if err := pdf.Error(); err != nil {
			return fmt.Errorf("proposal: logo: %w", err)
		}
		pdf.ImageOptions("logo", margin, margin, 0, 18, false, fpdf.ImageOptions{ImageType: typ}, 0, "")
		x = margin + 45
	}
	pdf.SetXY(x, margin)
	w := pageW - margin - x
	pdf.SetFont(family, "B", 12)
	pdf.MultiCell(w, 6, p.Shop.Name, "", "L", false)
	pdf.SetFont(family, "", 9)
	for _, s := range []string{p.Shop.Address, prefixed("ИНН ", p.Shop.INN), join(", ", p.Shop.Phone, p.Shop.Email)} {
		if s != "" {
			pdf.SetX(x)
			pdf.MultiCell(w, 4.5, s, "", "L", false)
		}
	}
	if y := margin + 20; len(p.Shop.Logo) > 0 && pdf.GetY() < y {
		pdf.SetY(y)
	}
	return nil
}

// table draws the quote's lines, grouped by piece, then the order-wide lines.
func table(pdf *fpdf.Fpdf, q *glass.Quote) {
	pdf.SetFont(family, "B", 9)
	pdf.SetFillColor(235, 238, 242)
	for i, h := range []string{"№", "Наименование", "Кол-во", "Цена", "Сумма"} {
		align := "R"
		if i == 1 {
			align = "L"
		}
		pdf.CellFormat(cols[i], 6, h, "1", 0, align, true, 0, "")
	}
	pdf.Ln(-1)
	group, n := -2, 0
	for _, l := range q.Lines {
		g := -1
		if l.Piece != nil {
			g = *l.Piece
		}
		if g != group {
			group = g
			heading := "Работы и услуги по заказу"
			if g >= 0 {
				heading = q.PieceSummary(g)
			}
			pdf.SetFont(family, "B", 9)
			pdf.MultiCell(contentW, lineH, heading, "LR", "L", false)
		}
		n++
		row(pdf, n, l)
	}
	pdf.CellFormat(contentW, 0, "", "T", 1, "", false, 0, "")
}

// row draws one priced line, wrapping its name; the row stays on one page.
func row(pdf *fpdf.Fpdf, n int, l glass.Line) {
	pdf.SetFont(family, "", 9)
	name := pdf.SplitText(l.Name, cols[1])
	h := float64(len(name)) * 4.5
	if h < 6 {
		h = 6
	}
	_, pageH := pdf.GetPageSize()
	if pdf.GetY()+h > pageH-margin {
		pdf.AddPage()
	}
	x, y := pdf.GetXY()
	pdf.CellFormat(cols[0], h, fmt.Sprint(n), "L", 0, "R", false, 0, "")
	pdf.MultiCell(cols[1], 4.5, strings.Join(name, "\n"), "", "L", false)
	pdf.SetXY(x+cols[0]+cols[1], y)
	qty, price := l.QuantityText(), Money(l.UnitPrice)
	pdf.CellFormat(cols[2], h, qty, "", 0, "R", false, 0, "")
	pdf.CellFormat(cols[3], h, price, "", 0, "R", false, 0, "")
	pdf.CellFormat(cols[4], h, Money(l.Amount), "R", 1, "R", false, 0, "")
}

// totals draws the total and the VAT line, right-aligned under the table.
func totals(pdf *fpdf.Fpdf, p *Proposal) {
	labelW := contentW - cols[4] - 20
	line := func(style, label, value string) {
		pdf.SetFont(family, style, 10)
		pdf.CellFormat(labelW, 6, label, "", 0, "R", false, 0, "")
		pdf.CellFormat(contentW-labelW, 6, value, "", 1, "R", false, 0, "")
	}
	pdf.Ln(1)
	line("B", "Итого:", Money(p.Quote.Total))
	if p.VATPercent > 0 {
		line("", fmt.Sprintf("в т. ч. НДС %d %%:", p.VATPercent), Money(VATIncluded(p.Quote.Total, p.VATPercent)))
	} else {
		line("", "Без НДС", "")
	}
	if p.Quote.LeadPrice*100 != p.Quote.Total {
		line("", "К оплате (округлено до рубля):", strings.TrimSuffix(glass.FormatRoubles(p.Quote.LeadPrice), "₽")+"руб.")
	}
}

func date(t time.Time) string { return t.Format("02.01.2006") }

func prefixed(prefix, s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return prefix + s
}

// join joins the non-empty parts with sep.
func join(sep string, parts ...string) string {
	var out []string
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
}
