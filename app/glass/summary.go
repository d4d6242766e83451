package glass

// PieceSummary describes piece i of the quoted order in one Russian line,
// as the note does: "Изделие 1: 900 × 2000 мм, 1 шт.; кромка: …". For a
// quote without its order the piece is only numbered.
func (q *Quote) PieceSummary(i int) string { return q.describePiece(i) }

// QuantityText writes the line's quantity with a decimal comma and its
// Russian unit: "1,8 м²", "5,8 м", "2 шт.".
func (l Line) QuantityText() string {
	return string(l.Quantity.append(nil, ',')) + " " + unitRU(l.Unit)
}
