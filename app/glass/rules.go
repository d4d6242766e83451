package glass

import "strconv"

// This file is the whole pricing rule set of the glass shop: the limits an
// order must respect and the steps that turn a valid order into priced
// lines. The figures a shop may change (prices, the urgency surcharge, the
// minimum installation charge) live in the price list, pricelist_default.json;
// everything here holds for every shop. The numbered steps follow the domain
// description ("How a price is built").

// Limits of an order. An order outside them is rejected by validation with
// a field error naming the limit.
const (
	// MinPieces and MaxPieces bound the number of pieces in an order.
	MinPieces = 1
	MaxPieces = 50

	// MinSideMM is the shortest side a piece may have. MaxLongSideMM and
	// MaxShortSideMM are the stock sheet: a piece's longer side must not
	// exceed the first and its shorter side the second.
	MinSideMM      = 100
	MaxLongSideMM  = 3210
	MaxShortSideMM = 2250

	// MinPieceQuantity and MaxPieceQuantity bound the number of identical
	// pieces in one piece entry.
	MinPieceQuantity = 1
	MaxPieceQuantity = 1000

	// MaxFacetThicknessMM is the thickest glass a facet edge is made on.
	MaxFacetThicknessMM = 10

	// MinTemperedLongSideMM and MinTemperedShortSideMM are the smallest
	// piece the tempering furnace takes (250 × 100 mm).
	MinTemperedLongSideMM  = 250
	MinTemperedShortSideMM = 100

	// MaxHoleDiameterMM is the largest hole drilled. The smallest is the
	// thickness of the glass.
	MaxHoleDiameterMM = 100

	// MaxHolesPerPiece is a sanity limit that the shop's rules do not state:
	// it keeps nonsense input from producing absurd amounts.
	MaxHolesPerPiece = 100

	// MaxCutouts and MaxRoundedCorners bound the cut-outs and rounded
	// corners of one piece.
	MaxCutouts        = 20
	MaxRoundedCorners = 4

	// MinHardwareCount and MaxHardwareCount bound the count of one
	// hardware line.
	MinHardwareCount = 1
	MaxHardwareCount = 100

	// MaxDiscountPercent is the largest discount, in whole percent.
	MaxDiscountPercent = 30

	// MinBillableAreaMM2 is the least area charged for any piece: a quarter
	// of a square metre.
	MinBillableAreaMM2 = 250_000
)

// Edge is the processing of a piece's edges.
type Edge string

// The edge kinds. An empty Edge means EdgeNone.
const (
	EdgeNone   Edge = "none"   // cut edge, no processing, no line
	EdgeGrind  Edge = "grind"  // шлифовка
	EdgePolish Edge = "polish" // полировка
	EdgeFacet  Edge = "facet"  // фацет, only up to MaxFacetThicknessMM
)

// nameRU is the Russian name of the edge kind, used in the note.
func (e Edge) nameRU() string {
	switch e {
	case EdgeGrind:
		return "шлифовка"
	case EdgePolish:
		return "полировка"
	case EdgeFacet:
		return "фацет"
	}
	return "без обработки"
}

// MaterialKind says what a material physically is, which decides the
// processing it allows.
type MaterialKind string

// The material kinds a price list may use.
const (
	KindGlass     MaterialKind = "glass"     // single sheet glass
	KindMirror    MaterialKind = "mirror"    // silvered glass
	KindLaminated MaterialKind = "laminated" // triplex, two sheets and a film
)

// Temperable reports whether a material of this kind can be tempered:
// mirror and laminated glass cannot.
func (k MaterialKind) Temperable() bool { return k == KindGlass }

// Unit is the unit of a line's or a product's quantity.
type Unit string

// The units of quantities.
const (
	UnitM2  Unit = "m2"  // square metres
	UnitM   Unit = "m"   // linear metres
	UnitPcs Unit = "pcs" // pieces
)

// Codes of the lines that do not come from a price-list code. Material,
// edge, tempering, hole and hardware lines have codes built from the price
// list: "float-8", "edge-polish-8", "temper-8", "hole-12", "hw-handle_bar".
const (
	CodeCutout              = "cutout"
	CodeCorner              = "corner"
	CodeUrgency             = "urgency"
	CodeInstallation        = "installation"
	CodeInstallationMinimum = "installation-minimum"
	CodeDelivery            = "delivery"
	CodeDiscount            = "discount"
)

// Conversion factors for roundHalfUp: a percentage as a Decimal fraction,
// and kopecks to roubles.
const (
	onePercent       Decimal = decimalScale / 100
	kopecksPerRouble         = 100
	roublesPerKopeck Decimal = decimalScale / kopecksPerRouble
)

// billableAreaMM2 is step 1: the area of one piece in mm², but never less
// than a quarter of a square metre. A Decimal of m² counts millionths, so
// mm² convert to it unchanged.
func billableAreaMM2(p Piece) int64 {
	return max(int64(p.WidthMM)*int64(p.HeightMM), MinBillableAreaMM2)
}

// perimeterMM is the perimeter of one piece in millimetres.
func perimeterMM(p Piece) int64 {
	return 2 * (int64(p.WidthMM) + int64(p.HeightMM))
}

// price turns a valid order into lines and totals. It relies on validation
// having accepted both the price list and the order: every code exists and
// every price it looks up is there.
func (pl *PriceList) price(o Order) *Quote {
	q := &Quote{
		Lines:            make([]Line, 0, 6*len(o.Pieces)+len(o.Hardware)+4),
		PriceListVersion: pl.Version,
		Order:            o.clone(),
	}
	pieceIndex := make([]int, len(o.Pieces))
	labels := labeler{pl: pl, seen: make([]label, 0, 16)}
	var production int64   // lines 2–6, the base of the urgency surcharge
	var totalAreaMM2 int64 // billable area of all pieces, for installation
	add := func(l Line) {
		l.Amount = roundHalfUp(l.Quantity, l.UnitPrice)
		q.Lines = append(q.Lines, l)
	}

	for i, p := range o.Pieces {
		pieceIndex[i] = i
		piece := &pieceIndex[i]
		qty := int64(p.Quantity)
		area := billableAreaMM2(p) // step 1
		totalAreaMM2 += area * qty
		start := len(q.Lines)

		// Step 2: material, billable area × quantity × price per m².
		m, _ := pl.material(p.Material)
		code, name := labels.material(m, p.ThicknessMM)
		add(Line{Code: code, Name: name,
			Quantity: Decimal(area * qty), Unit: UnitM2,
			UnitPrice: int64(m.Prices[p.ThicknessMM]), Piece: piece})

		// Step 3: edge, perimeter in metres × quantity × price per metre.
		if edge := p.edge(); edge != EdgeNone {
			e, _ := pl.edge(edge)
			code, name := labels.edge(e, p.ThicknessMM)
			add(Line{Code: code, Name: name,
				Quantity: Decimal(perimeterMM(p) * qty * (decimalScale / 1000)), Unit: UnitM,
				UnitPrice: int64(e.Prices[p.ThicknessMM]), Piece: piece})
		}

		// Step 4: tempering, billable area × quantity × price per m².
		if p.Tempered {
			code, name := labels.tempering(p.ThicknessMM)
			add(Line{Code: code, Name: name,
				Quantity: Decimal(area * qty), Unit: UnitM2,
				UnitPrice: int64(pl.Tempering[p.ThicknessMM]), Piece: piece})
		}

		// Step 5: holes, one line per diameter band, holes × quantity.
		for b, band := range pl.Holes {
			n := int64(0)
			for _, d := range p.Holes {
				if pl.holeBand(d) == b {
					n++
				}
			}
			if n > 0 {
				code, name := labels.hole(b)
				add(Line{Code: code, Name: name,
					Quantity: DecimalFromInt(n * qty), Unit: UnitPcs,
					UnitPrice: int64(band.Price), Piece: piece})
			}
		}

		// Step 6: cut-outs and rounded corners, count × quantity.
		if p.Cutouts > 0 {
			add(Line{Code: CodeCutout, Name: "Вырез",
				Quantity: DecimalFromInt(int64(p.Cutouts) * qty), Unit: UnitPcs,
				UnitPrice: int64(pl.Cutout), Piece: piece})
		}
		if p.RoundedCorners > 0 {
			add(Line{Code: CodeCorner, Name: "Скругление угла",
				Quantity: DecimalFromInt(int64(p.RoundedCorners) * qty), Unit: UnitPcs,
				UnitPrice: int64(pl.RoundedCorner), Piece: piece})
		}
		for _, l := range q.Lines[start:] {
			production += l.Amount
		}
	}

	// Step 7: hardware, price × count. A code listed on several order lines
	// is one line here with the counts summed: counts are per order line,
	// and nothing in the rules forbids giving the same item twice.
	counts := make(map[string]int64, len(o.Hardware))
	for _, h := range o.Hardware {
		counts[h.Code] += int64(h.Count)
	}
	for _, h := range o.Hardware {
		n, first := counts[h.Code]
		if !first {
			continue
		}
		delete(counts, h.Code)
		hw, _ := pl.hardware(h.Code)
		add(Line{Code: "hw-" + hw.Code, Name: hw.Name,
			Quantity: DecimalFromInt(n), Unit: hw.Unit, UnitPrice: int64(hw.Price)})
	}

	// Step 8: urgency, a percentage of lines 2–6; hardware is bought, not
	// made, so it is not included. Quantity 1 and unit price equal to the
	// amount, because the amount depends on the whole order.
	if o.Urgent {
		u := roundHalfUp(Decimal(pl.UrgencyPercent)*onePercent, production)
		add(Line{Code: CodeUrgency,
			Name:     "Срочное изготовление, +" + strconv.Itoa(pl.UrgencyPercent) + " % к изготовлению",
			Quantity: DecimalFromInt(1), Unit: UnitPcs, UnitPrice: u})
	}

	// Step 9: installation by total billable area, at least the minimum
	// charge; when the minimum applies the line says so and is one piece of
	// work at the minimum price. Delivery is a flat fee.
	if o.Installation {
		l := Line{Code: CodeInstallation, Name: "Монтаж",
			Quantity: Decimal(totalAreaMM2), Unit: UnitM2, UnitPrice: int64(pl.Installation.PerM2)}
		if roundHalfUp(l.Quantity, l.UnitPrice) < int64(pl.Installation.Minimum) {
			l = Line{Code: CodeInstallationMinimum, Name: "Монтаж, минимальная стоимость",
				Quantity: DecimalFromInt(1), Unit: UnitPcs, UnitPrice: int64(pl.Installation.Minimum)}
		}
		add(l)
	}
	if o.Delivery {
		add(Line{Code: CodeDelivery, Name: "Доставка",
			Quantity: DecimalFromInt(1), Unit: UnitPcs, UnitPrice: int64(pl.Delivery)})
	}

	// Step 10: discount, a negative line of discount_percent of everything
	// above, rounded half-up to the kopeck.
	if o.DiscountPercent > 0 {
		var above int64
		for _, l := range q.Lines {
			above += l.Amount
		}
		d := -roundHalfUp(Decimal(o.DiscountPercent)*onePercent, above)
		add(Line{Code: CodeDiscount, Name: "Скидка " + strconv.Itoa(o.DiscountPercent) + " %",
			Quantity: DecimalFromInt(1), Unit: UnitPcs, UnitPrice: d})
	}

	// Step 11: the total is the exact sum of the lines; the deal price is
	// the total rounded half-up to the rouble.
	for _, l := range q.Lines {
		q.Total += l.Amount
	}
	q.LeadPrice = roundHalfUp(roublesPerKopeck, q.Total)
	return q
}
