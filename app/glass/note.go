package glass

import (
	"strconv"
	"strings"
)

// NoteText renders the quote as a Russian note for the deal: the price-list
// version, each piece with its size and processing followed by its lines,
// the order-wide lines, the total and the deal price. Amounts are written
// like "17 204,00 ₽" and quantities with a decimal comma ("1,8 м²").
//
// The piece descriptions come from Quote.Order; for a quote decoded from
// JSON, which has no order, the pieces are only numbered.
func (q *Quote) NoteText() string {
	var b strings.Builder
	b.WriteString("Расчёт заказа по прайс-листу «" + q.PriceListVersion + "»\n")
	current := -2 // no group yet; -1 is the order-wide group
	for _, l := range q.Lines {
		group := -1
		if l.Piece != nil {
			group = *l.Piece
		}
		if group != current {
			current = group
			b.WriteString("\n")
			if group < 0 {
				b.WriteString("По заказу:\n")
			} else {
				b.WriteString(q.describePiece(group) + "\n")
			}
		}
		b.WriteString("  " + l.Name + ": ")
		switch l.Code {
		case CodeUrgency, CodeInstallationMinimum, CodeDelivery, CodeDiscount:
			b.WriteString(FormatKopecks(l.Amount))
		default:
			b.Write(l.Quantity.append(nil, ','))
			b.WriteString(" " + unitRU(l.Unit) + " × " + FormatKopecks(l.UnitPrice) + " = " + FormatKopecks(l.Amount))
		}
		b.WriteString("\n")
	}
	b.WriteString("\nИтого: " + FormatKopecks(q.Total) + "\n")
	b.WriteString("Цена сделки: " + FormatRoubles(q.LeadPrice) + "\n")
	return b.String()
}

// describePiece describes piece i of the order in one line.
func (q *Quote) describePiece(i int) string {
	head := "Изделие " + strconv.Itoa(i+1)
	if i >= len(q.Order.Pieces) {
		return head + ":"
	}
	p := q.Order.Pieces[i]
	parts := []string{
		strconv.Itoa(p.WidthMM) + " × " + strconv.Itoa(p.HeightMM) + " мм, " + strconv.Itoa(p.Quantity) + " шт.",
		"кромка: " + p.edge().nameRU(),
	}
	if p.Tempered {
		parts = append(parts, "закалка")
	}
	if len(p.Holes) > 0 {
		ds := make([]string, len(p.Holes))
		for j, d := range p.Holes {
			ds[j] = strconv.Itoa(d)
		}
		parts = append(parts, "отверстия Ø "+strings.Join(ds, ", ")+" мм")
	}
	if p.Cutouts > 0 {
		parts = append(parts, "вырезов: "+strconv.Itoa(p.Cutouts))
	}
	if p.RoundedCorners > 0 {
		parts = append(parts, "скруглённых углов: "+strconv.Itoa(p.RoundedCorners))
	}
	return head + ": " + strings.Join(parts, "; ")
}

// unitRU is the Russian abbreviation of a unit.
func unitRU(u Unit) string {
	switch u {
	case UnitM2:
		return "м²"
	case UnitM:
		return "м"
	case UnitPcs:
		return "шт."
	}
	return string(u)
}
