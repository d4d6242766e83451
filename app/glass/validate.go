package glass

import (
	"strconv"
	"strings"
)

// FieldError is one problem with an order or a price list, tied to the
// JSON path of the value it concerns, such as "pieces[1].holes[0]" or
// "hardware[0].count"; the path is empty when the problem concerns the
// whole document. Code is stable and meant for programs; Message is Russian
// and MessageEN English, both meant for people.
type FieldError struct {
	Path      string `json:"path"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageEN string `json:"message_en"`
}

// Error returns the path and the Russian message.
func (e FieldError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

func fieldError(path, code, ru, en string) FieldError {
	return FieldError{Path: path, Code: code, Message: ru, MessageEN: en}
}

// Codes of field errors.
const (
	// Form of the JSON (DecodeOrder, LoadPriceList).
	CodeInvalidJSON    = "invalid_json"    // malformed or truncated JSON
	CodeTrailingData   = "trailing_data"   // something after the document
	CodeUnknownField   = "unknown_field"   // a field the format does not have
	CodeDuplicateField = "duplicate_field" // a field or key given twice
	CodeInvalidType    = "invalid_type"    // a value of the wrong JSON type, or null
	CodeInvalidValue   = "invalid_value"   // a number that cannot be read exactly
	CodeMissing        = "missing"         // a required field or value is absent

	// Ranges, for orders and price lists.
	CodeOutOfRange = "out_of_range" // a count or percentage outside its bounds
	CodeTooFew     = "too_few"      // fewer pieces than MinPieces
	CodeTooMany    = "too_many"     // more pieces or holes than allowed
	CodeTooSmall   = "too_small"    // a size or diameter below its minimum
	CodeTooLarge   = "too_large"    // a size, diameter or price above its maximum

	// Order against the rules and the price list.
	CodeUnknownMaterial  = "unknown_material"    // material not in the price list
	CodeThicknessNotSold = "thickness_not_sold"  // material not sold in that thickness
	CodeUnknownEdge      = "unknown_edge"        // edge other than none, grind, polish, facet
	CodeFacetTooThick    = "facet_too_thick"     // facet on glass thicker than MaxFacetThicknessMM
	CodeEdgeNotOffered   = "edge_not_offered"    // the price list has no price for that edge and thickness
	CodeNotTemperable    = "not_temperable"      // tempering asked for mirror or laminated glass
	CodeTooSmallToTemper = "too_small_to_temper" // tempering asked for a piece under 250 × 100 mm
	CodeUnknownHardware  = "unknown_hardware"    // hardware code not in the price list

	// Price list.
	CodeInvalidCode   = "invalid_code"   // a code with characters other than a-z, 0-9, _
	CodeDuplicateCode = "duplicate_code" // the same code twice
	CodeUnknownCode   = "unknown_code"   // an unknown material kind, edge or unit
	CodeNegativePrice = "negative_price" // a price below zero
	CodeNoThicknesses = "no_thicknesses" // a material without any thickness
	CodeMissingPrice  = "missing_price"  // a price the rules need is absent
	CodeUnordered     = "unordered"      // hole bands not in increasing order
)

// ValidationError reports everything wrong with an order: every field error
// found, in document order. Get it with errors.As.
type ValidationError struct {
	// Errors are the first MaxFieldErrors problems, in the order found.
	Errors []FieldError `json:"errors"`
	// More is how many further problems were found and not listed.
	More int `json:"more,omitempty"`
}

// MaxFieldErrors is how many problems a ValidationError of an order lists; the
// rest are only counted. An order body of a few kilobytes can hold tens of
// thousands of bad values, and neither memory nor the answer grows with them.
const MaxFieldErrors = 50

// Error lists the field errors in Russian.
func (e *ValidationError) Error() string {
	s := joinFieldErrors("glass: заказ не прошёл проверку: ", e.Errors)
	if e.More > 0 {
		s += "; и ещё " + itoa(e.More)
	}
	return s
}

// PriceListError reports everything wrong with a price list. Get it with
// errors.As.
type PriceListError struct {
	Problems []FieldError `json:"problems"`
}

// Error lists the problems in Russian.
func (e *PriceListError) Error() string {
	return joinFieldErrors("glass: ошибки в прайс-листе: ", e.Problems)
}

func joinFieldErrors(prefix string, errs []FieldError) string {
	var b strings.Builder
	b.WriteString(prefix)
	for i, fe := range errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(fe.Error())
	}
	return b.String()
}

// ValidateOrder checks an order against the rules and this price list and
// returns nil or a *ValidationError listing the violations (the first
// MaxFieldErrors, the rest counted). Quote calls it
// before pricing.
func (pl *PriceList) ValidateOrder(o Order) error {
	var v orderValidator
	v.pl = pl
	if len(o.Pieces) < MinPieces {
		v.add("pieces", "", CodeTooFew, "в заказе нет ни одного изделия", "the order has no pieces")
	}
	if len(o.Pieces) > MaxPieces {
		v.add("pieces", "", CodeTooMany,
			"в заказе "+itoa(len(o.Pieces))+" изделий, можно не больше "+itoa(MaxPieces),
			"the order has "+itoa(len(o.Pieces))+" pieces, at most "+itoa(MaxPieces)+" are allowed")
	}
	for i, p := range o.Pieces {
		v.piece(i, p)
	}
	for i, h := range o.Hardware {
		path := indexPath("hardware", i)
		_, known := pl.hardware(h.Code)
		switch {
		case h.Code == "":
			v.add(path(), ".code", CodeMissing, "не указан код фурнитуры", "the hardware code is missing")
		case !known:
			v.add(path(), ".code", CodeUnknownHardware,
				"фурнитуры «"+h.Code+"» нет в прайс-листе",
				"hardware "+strconv.Quote(h.Code)+" is not in the price list")
		}
		v.between(path(), ".count", h.Count, MinHardwareCount, MaxHardwareCount,
			"количество фурнитуры должно быть", "the hardware count")
	}
	v.between("discount_percent", "", o.DiscountPercent, 0, MaxDiscountPercent,
		"скидка в процентах должна быть", "the discount percentage")
	if len(v.errs) > 0 {
		return &ValidationError{Errors: v.errs, More: v.more}
	}
	return nil
}

type orderValidator struct {
	pl   *PriceList
	errs []FieldError // the first MaxFieldErrors problems
	more int          // the problems after those
}

// add records a problem at base+field. Paths are joined only when a
// problem is found, so a valid order costs no string building.
func (v *orderValidator) add(base, field, code, ru, en string) {
	if len(v.errs) >= MaxFieldErrors {
		v.more++
		return
	}
	v.errs = append(v.errs, fieldError(base+field, code, ru, en))
}

func (v *orderValidator) between(base, field string, n, lo, hi int, ru, en string) {
	if n < lo || n > hi {
		v.add(base, field, CodeOutOfRange,
			ru+" от "+itoa(lo)+" до "+itoa(hi)+", указано "+itoa(n),
			en+" must be "+itoa(lo)+" to "+itoa(hi)+", got "+itoa(n))
	}
}

func (v *orderValidator) piece(i int, p Piece) {
	path := indexPath("pieces", i)
	t := p.ThicknessMM
	mm := func(n int) string { return itoa(n) + " мм" }
	mmEN := func(n int) string { return itoa(n) + " mm" }

	// Material and thickness.
	m, known := v.pl.material(p.Material)
	thicknessOK := false
	switch {
	case p.Material == "":
		v.add(path(), ".material", CodeMissing, "не указан материал", "the material is missing")
	case !known:
		v.add(path(), ".material", CodeUnknownMaterial,
			"материала «"+p.Material+"» нет в прайс-листе",
			"material "+strconv.Quote(p.Material)+" is not in the price list")
	}
	if known {
		if _, ok := m.Prices[t]; ok {
			thicknessOK = true
		} else {
			v.add(path(), ".thickness_mm", CodeThicknessNotSold,
				"«"+m.Name+"» не продаётся толщиной "+mm(t)+"; есть "+m.thicknesses()+" мм",
				"material "+strconv.Quote(m.Code)+" is not sold "+mmEN(t)+" thick; it comes in "+m.thicknesses()+" mm")
		}
	} else if !v.anyMaterialSells(t) {
		v.add(path(), ".thickness_mm", CodeThicknessNotSold,
			"ни один материал не продаётся толщиной "+mm(t),
			"no material is sold "+mmEN(t)+" thick")
	}

	// Size: at least MinSideMM each way, within one stock sheet.
	// A square's width counts as its longer side.
	long, short, longField, shortField := p.WidthMM, p.HeightMM, ".width_mm", ".height_mm"
	if short > long {
		long, short, longField, shortField = short, long, shortField, longField
	}
	if p.WidthMM < MinSideMM {
		v.add(path(), ".width_mm", CodeTooSmall,
			"ширина "+mm(p.WidthMM)+" меньше минимальной "+mm(MinSideMM),
			"the width of "+mmEN(p.WidthMM)+" is below the minimum of "+mmEN(MinSideMM))
	}
	if p.HeightMM < MinSideMM {
		v.add(path(), ".height_mm", CodeTooSmall,
			"высота "+mm(p.HeightMM)+" меньше минимальной "+mm(MinSideMM),
			"the height of "+mmEN(p.HeightMM)+" is below the minimum of "+mmEN(MinSideMM))
	}
	sheetRU := func() string { return " (лист " + itoa(MaxLongSideMM) + " × " + mm(MaxShortSideMM) + ")" }
	sheetEN := func() string { return " (the sheet is " + itoa(MaxLongSideMM) + " × " + mmEN(MaxShortSideMM) + ")" }
	if long > MaxLongSideMM {
		v.add(path(), longField, CodeTooLarge,
			"длинная сторона "+mm(long)+" больше "+mm(MaxLongSideMM)+sheetRU(),
			"the longer side of "+mmEN(long)+" exceeds "+mmEN(MaxLongSideMM)+sheetEN())
	}
	if short > MaxShortSideMM {
		v.add(path(), shortField, CodeTooLarge,
			"короткая сторона "+mm(short)+" больше "+mm(MaxShortSideMM)+sheetRU(),
			"the shorter side of "+mmEN(short)+" exceeds "+mmEN(MaxShortSideMM)+sheetEN())
	}

	v.between(path(), ".quantity", p.Quantity, MinPieceQuantity, MaxPieceQuantity,
		"количество изделий должно быть", "the quantity")

	// Edge: a known kind, facet only on thin glass, and priced.
	switch edge := p.edge(); edge {
	case EdgeNone:
	case EdgeGrind, EdgePolish, EdgeFacet:
		if edge == EdgeFacet && t > MaxFacetThicknessMM {
			v.add(path(), ".edge", CodeFacetTooThick,
				"фацет делается на стекле толщиной до "+mm(MaxFacetThicknessMM)+", а здесь "+mm(t),
				"a facet edge is made on glass up to "+mmEN(MaxFacetThicknessMM)+" thick, this one is "+mmEN(t))
			break
		}
		if !thicknessOK {
			break // the thickness is already reported
		}
		if e, ok := v.pl.edge(edge); !ok || !hasPrice(e.Prices, t) {
			v.add(path(), ".edge", CodeEdgeNotOffered,
				"в прайс-листе нет цены кромки «"+string(edge)+"» для толщины "+mm(t),
				"the price list has no "+string(edge)+" edge price for "+mmEN(t))
		}
	default:
		v.add(path(), ".edge", CodeUnknownEdge,
			"неизвестная обработка кромки «"+string(edge)+"»: допустимы none, grind, polish, facet",
			"unknown edge "+strconv.Quote(string(edge))+": use none, grind, polish or facet")
	}

	// Tempering: glass only, and not too small. A valid price list prices
	// tempering for every thickness of a temperable material.
	if p.Tempered {
		switch {
		case known && !m.Kind.Temperable():
			v.add(path(), ".tempered", CodeNotTemperable,
				"«"+m.Name+"» нельзя закалить: закаляется только стекло, не зеркало и не триплекс",
				"material "+strconv.Quote(m.Code)+" cannot be tempered: only glass is, not mirror or laminated glass")
		case long < MinTemperedLongSideMM || short < MinTemperedShortSideMM:
			v.add(path(), ".tempered", CodeTooSmallToTemper,
				"закалить можно изделие не меньше "+itoa(MinTemperedLongSideMM)+" × "+mm(MinTemperedShortSideMM)+
					", а это "+itoa(p.WidthMM)+" × "+mm(p.HeightMM),
				"tempering needs a piece of at least "+itoa(MinTemperedLongSideMM)+" × "+mmEN(MinTemperedShortSideMM)+
					", this one is "+itoa(p.WidthMM)+" × "+mmEN(p.HeightMM))
		}
	}

	// Holes: at least as wide as the glass is thick, at most MaxHoleDiameterMM.
	if len(p.Holes) > MaxHolesPerPiece {
		v.add(path(), ".holes", CodeTooMany,
			"в одном изделии не больше "+itoa(MaxHolesPerPiece)+" отверстий, указано "+itoa(len(p.Holes)),
			"a piece has at most "+itoa(MaxHolesPerPiece)+" holes, got "+itoa(len(p.Holes)))
	}
	minHole := max(t, 1)
	for j, d := range p.Holes {
		hole := func() string { return path() + ".holes[" + itoa(j) + "]" }
		switch {
		case d < minHole && t > 0:
			v.add(hole(), "", CodeTooSmall,
				"отверстие "+mm(d)+" меньше толщины стекла "+mm(t),
				"a "+mmEN(d)+" hole is smaller than the "+mmEN(t)+" glass it goes through")
		case d < minHole:
			v.add(hole(), "", CodeTooSmall,
				"диаметр отверстия должен быть положительным, указано "+mm(d),
				"a hole diameter must be positive, got "+mmEN(d))
		case d > MaxHoleDiameterMM:
			v.add(hole(), "", CodeTooLarge,
				"отверстие "+mm(d)+" больше максимального "+mm(MaxHoleDiameterMM),
				"a "+mmEN(d)+" hole exceeds the maximum of "+mmEN(MaxHoleDiameterMM))
		}
	}

	v.between(path(), ".cutouts", p.Cutouts, 0, MaxCutouts, "число вырезов должно быть", "the number of cut-outs")
	v.between(path(), ".rounded_corners", p.RoundedCorners, 0, MaxRoundedCorners,
		"число скруглённых углов должно быть", "the number of rounded corners")
}

func (v *orderValidator) anyMaterialSells(t int) bool {
	for _, m := range v.pl.Materials {
		if hasPrice(m.Prices, t) {
			return true
		}
	}
	return false
}

func hasPrice(prices map[int]Price, t int) bool {
	_, ok := prices[t]
	return ok
}

func itoa(n int) string { return strconv.Itoa(n) }

// indexPath returns a function that builds the path list[i] when called,
// so that the path of a valid element is never built.
func indexPath(list string, i int) func() string {
	return func() string { return list + "[" + itoa(i) + "]" }
}
