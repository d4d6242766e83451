package glass

import (
	"bytes"
	_ "embed"
	"io"
	"slices"
	"strconv"
	"strings"
)

//go:embed pricelist_default.json
var defaultPriceListJSON []byte

// MaxPrice is the largest price a price list may hold, in kopecks
// (10 000 000 ₽). It keeps every amount the calculator can produce far from
// the int64 limit.
const MaxPrice Price = 1_000_000_000

// maxPriceListSize bounds what LoadPriceList reads.
const maxPriceListSize = 1 << 20

// Price is an amount of money in kopecks. In a price-list file it is
// written in roubles with at most two decimals (2300 or 2300.5), the figures
// a shop knows; in memory it is always kopecks, so 2300 in the file is
// Price(230000).
type Price int64

// MarshalJSON writes p in roubles, such as 2300 or 2300.5.
func (p Price) MarshalJSON() ([]byte, error) {
	return Decimal(int64(p) * (decimalScale / kopecksPerRouble)).MarshalJSON()
}

// UnmarshalJSON reads an amount in roubles with at most two decimals.
func (p *Price) UnmarshalJSON(data []byte) error {
	d, err := ParseDecimal(string(data))
	if err != nil {
		return err
	}
	const perKopeck = decimalScale / kopecksPerRouble
	if d%perKopeck != 0 {
		return &numberError{"цена " + string(data) + " точнее копейки: не больше двух знаков после точки",
			"the price " + string(data) + " is finer than a kopeck: at most two decimals"}
	}
	*p = Price(d / perKopeck)
	return nil
}

// PriceList holds everything a shop charges for. Load one with
// LoadPriceList or start from DefaultPriceList. A PriceList is only read
// while quoting, so one value may serve concurrent Quote calls as long as
// nobody changes it meanwhile.
//
// In JSON, prices are roubles (see Price) and per-thickness prices are
// objects keyed by the thickness in millimetres: {"4": 1100, "5": 1400}.
type PriceList struct {
	// Version names this edition of the price list; every quote carries it.
	Version string `json:"version" glass:"required"`
	// Materials are the glass and mirror kinds sold.
	Materials []Material `json:"materials" glass:"required"`
	// Edges price edge processing per linear metre by thickness. Grind and
	// polish must be priced for every thickness sold; facet may be priced
	// for some.
	Edges []EdgePrice `json:"edges" glass:"required"`
	// Tempering is the price per m² by thickness; every thickness of a
	// temperable material must have one.
	Tempering map[int]Price `json:"tempering" glass:"required"`
	// Holes are the hole prices by diameter band, narrowest first; the last
	// band reaches at least MaxHoleDiameterMM.
	Holes []HoleBand `json:"holes" glass:"required"`
	// Cutout is the price of one cut-out.
	Cutout Price `json:"cutout" glass:"required"`
	// RoundedCorner is the price of one rounded corner.
	RoundedCorner Price `json:"rounded_corner" glass:"required"`
	// Hardware is what the shop resells, priced per unit.
	Hardware []Hardware `json:"hardware"`
	// Installation is the price of installation.
	Installation Installation `json:"installation" glass:"required"`
	// Delivery is the flat delivery fee.
	Delivery Price `json:"delivery" glass:"required"`
	// UrgencyPercent is the surcharge for an urgent order, as a percentage
	// of the production lines.
	UrgencyPercent int `json:"urgency_percent" glass:"required"`
}

// Material is one glass or mirror kind with its prices per m² by thickness
// in millimetres. A thickness not in Prices is not sold.
type Material struct {
	Code   string        `json:"code" glass:"required"`
	Name   string        `json:"name" glass:"required"`
	Kind   MaterialKind  `json:"kind" glass:"required"`
	Prices map[int]Price `json:"prices" glass:"required"`
}

// EdgePrice is the price of one edge processing per linear metre by
// thickness in millimetres.
type EdgePrice struct {
	Code   Edge          `json:"code" glass:"required"`
	Name   string        `json:"name" glass:"required"`
	Prices map[int]Price `json:"prices" glass:"required"`
}

// HoleBand is the price of one hole whose diameter is at most
// MaxDiameterMM and larger than the previous band's.
type HoleBand struct {
	MaxDiameterMM int   `json:"max_diameter_mm" glass:"required"`
	Price         Price `json:"price" glass:"required"`
}

// Hardware is one resold item: hinges, handles, profiles. Unit is UnitPcs,
// or UnitM for goods sold by the metre.
type Hardware struct {
	Code  string `json:"code" glass:"required"`
	Name  string `json:"name" glass:"required"`
	Unit  Unit   `json:"unit" glass:"required"`
	Price Price  `json:"price" glass:"required"`
}

// Installation prices installation per m² of billable area, with a minimum
// charge per order.
type Installation struct {
	PerM2   Price `json:"per_m2" glass:"required"`
	Minimum Price `json:"minimum" glass:"required"`
}

// DefaultPriceList returns the default price list of
// docs/glass-domain.md#default-price-list (embedded in the package). Each call returns a fresh copy, so changing
// one never affects another.
func DefaultPriceList() *PriceList {
	pl, err := LoadPriceList(bytes.NewReader(defaultPriceListJSON))
	if err != nil {
		panic("glass: the embedded default price list is invalid: " + err.Error())
	}
	return pl
}

// LoadPriceList reads a price list in JSON (the format of
// pricelist_default.json) and validates it. Reading is strict: unknown
// fields, wrong types, missing fields and trailing data are errors. When
// anything is wrong the error is a *PriceListError listing every problem
// found, not just the first.
func LoadPriceList(r io.Reader) (*PriceList, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPriceListSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxPriceListSize {
		return nil, &PriceListError{Problems: []FieldError{fieldError("", CodeTooLarge,
			"прайс-лист больше 1 МиБ", "the price list is larger than 1 MiB")}}
	}
	var pl PriceList
	problems := decodeStrict(data, &pl)
	// After a syntax error the rest of the file is unknown, so only the
	// syntax error is reported. Otherwise validation adds what it finds,
	// except what the decoder has already said (a missing field, say).
	if decoded := problems; !slices.ContainsFunc(decoded, func(fe FieldError) bool { return fe.Code == CodeInvalidJSON }) {
		for _, fe := range pl.problems() {
			if !slices.ContainsFunc(decoded, func(p FieldError) bool { return p.Path == fe.Path && p.Code == fe.Code }) {
				problems = append(problems, fe)
			}
		}
	}
	if len(problems) > 0 {
		return nil, &PriceListError{Problems: problems}
	}
	return &pl, nil
}

// Validate checks a price list built in code the way LoadPriceList checks
// a file: codes, names, prices and coverage. It returns nil or a
// *PriceListError listing every problem. Quote calls it first.
func (pl *PriceList) Validate() error {
	if problems := pl.problems(); len(problems) > 0 {
		return &PriceListError{Problems: problems}
	}
	return nil
}

// validCode reports whether a code is made of lower-case Latin letters,
// digits and underscores only, so it can go into a SKU unchanged.
func validCode(code string) bool {
	for i := range len(code) {
		c := code[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return code != ""
}

// problems lists everything wrong with the price list.
func (pl *PriceList) problems() []FieldError {
	var v problemList
	if strings.TrimSpace(pl.Version) == "" {
		v.add("version", CodeMissing, "не указана версия прайс-листа", "the price list has no version")
	}

	// Materials: valid unique codes, names, known kinds, at least one
	// thickness, sane prices.
	if len(pl.Materials) == 0 {
		v.add("materials", CodeMissing, "в прайс-листе нет материалов", "the price list has no materials")
	}
	// Thicknesses sold, and sold as a temperable material.
	sold, temperable := make([]int, 0, 16), make([]int, 0, 16)
	for i, m := range pl.Materials {
		path := indexPath("materials", i)
		v.code(path, ".code", m.Code, slices.IndexFunc(pl.Materials[:i], func(o Material) bool { return o.Code == m.Code }) >= 0)
		v.name(path, ".name", m.Name)
		if m.Kind != KindGlass && m.Kind != KindMirror && m.Kind != KindLaminated {
			v.add(path()+".kind", CodeUnknownCode,
				"неизвестный вид материала «"+string(m.Kind)+"»: допустимы glass, mirror, laminated",
				"unknown material kind "+strconv.Quote(string(m.Kind))+": use glass, mirror or laminated")
		}
		if len(m.Prices) == 0 {
			v.add(path()+".prices", CodeNoThicknesses,
				"у материала нет ни одной толщины с ценой",
				"the material has no thickness with a price")
		}
		v.prices(path, ".prices", m.Prices)
		for t := range m.Prices {
			if t > 0 {
				sold = appendUnique(sold, t)
				if m.Kind.Temperable() {
					temperable = appendUnique(temperable, t)
				}
			}
		}
	}

	slices.Sort(sold) // map order is random; problems come out in a stable order
	slices.Sort(temperable)

	// Edges: known unique codes; grind and polish for every thickness sold.
	for i, e := range pl.Edges {
		path := indexPath("edges", i)
		switch {
		case e.Code != EdgeGrind && e.Code != EdgePolish && e.Code != EdgeFacet:
			v.add(path()+".code", CodeUnknownCode,
				"неизвестная обработка кромки «"+string(e.Code)+"»: допустимы grind, polish, facet",
				"unknown edge "+strconv.Quote(string(e.Code))+": use grind, polish or facet")
		case slices.IndexFunc(pl.Edges[:i], func(o EdgePrice) bool { return o.Code == e.Code }) >= 0:
			v.add(path()+".code", CodeDuplicateCode,
				"обработка кромки «"+string(e.Code)+"» указана дважды",
				"edge "+strconv.Quote(string(e.Code))+" is listed twice")
		}
		v.name(path, ".name", e.Name)
		v.prices(path, ".prices", e.Prices)
	}
	for _, code := range []Edge{EdgeGrind, EdgePolish} {
		i := slices.IndexFunc(pl.Edges, func(e EdgePrice) bool { return e.Code == code })
		if i < 0 {
			v.add("edges", CodeMissingPrice,
				"нет цен на обработку кромки «"+string(code)+"»",
				"there are no prices for the "+string(code)+" edge")
			continue
		}
		v.coverage(indexPath("edges", i), ".prices", pl.Edges[i].Prices, sold,
			"нет цены кромки «"+string(code)+"» для толщины", "no "+string(code)+" edge price for thickness")
	}

	// Tempering: every thickness of a temperable material.
	v.prices(top("tempering"), "", pl.Tempering)
	v.coverage(top("tempering"), "", pl.Tempering, temperable,
		"нет цены закалки для толщины", "no tempering price for thickness")

	// Holes: bands in increasing order reaching MaxHoleDiameterMM.
	if len(pl.Holes) == 0 {
		v.add("holes", CodeMissing, "нет цен на отверстия", "there are no hole prices")
	}
	for i, h := range pl.Holes {
		path := indexPath("holes", i)
		if h.MaxDiameterMM <= 0 || i > 0 && h.MaxDiameterMM <= pl.Holes[i-1].MaxDiameterMM {
			v.add(path()+".max_diameter_mm", CodeUnordered,
				"диапазоны отверстий должны идти по возрастанию диаметра, от 1 мм",
				"hole bands must have increasing diameters, from 1 mm")
		}
		v.price(path, ".price", h.Price)
	}
	if n := len(pl.Holes); n > 0 && pl.Holes[n-1].MaxDiameterMM < MaxHoleDiameterMM {
		v.add("holes", CodeMissingPrice,
			"нет цены для отверстий до "+strconv.Itoa(MaxHoleDiameterMM)+" мм",
			"no price for holes up to "+strconv.Itoa(MaxHoleDiameterMM)+" mm")
	}

	v.price(top("cutout"), "", pl.Cutout)
	v.price(top("rounded_corner"), "", pl.RoundedCorner)
	v.price(top("installation"), ".per_m2", pl.Installation.PerM2)
	v.price(top("installation"), ".minimum", pl.Installation.Minimum)
	v.price(top("delivery"), "", pl.Delivery)
	if pl.UrgencyPercent < 0 || pl.UrgencyPercent > 100 {
		v.add("urgency_percent", CodeOutOfRange,
			"наценка за срочность должна быть от 0 до 100 %",
			"the urgency surcharge must be 0 to 100 %")
	}

	for i, h := range pl.Hardware {
		path := indexPath("hardware", i)
		v.code(path, ".code", h.Code, slices.IndexFunc(pl.Hardware[:i], func(o Hardware) bool { return o.Code == h.Code }) >= 0)
		v.name(path, ".name", h.Name)
		if h.Unit != UnitPcs && h.Unit != UnitM {
			v.add(path()+".unit", CodeUnknownCode,
				"неизвестная единица «"+string(h.Unit)+"»: допустимы pcs и m",
				"unknown unit "+strconv.Quote(string(h.Unit))+": use pcs or m")
		}
		v.price(path, ".price", h.Price)
	}
	return v
}

func appendUnique(s []int, v int) []int {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// problemList collects price-list problems.
type problemList []FieldError

func (v *problemList) add(path, code, ru, en string) {
	*v = append(*v, fieldError(path, code, ru, en))
}

// The checks below take the path as a function and a field, and build the
// path only when they report a problem: checking a valid price list, which
// Quote does every time, then builds no strings.

// top returns a path function for a top-level field.
func top(field string) func() string { return func() string { return field } }

func (v *problemList) code(path func() string, field, code string, duplicate bool) {
	switch {
	case code == "":
		v.add(path()+field, CodeMissing, "не указан код", "the code is missing")
	case !validCode(code):
		v.add(path()+field, CodeInvalidCode,
			"код «"+code+"» может содержать только строчные латинские буквы, цифры и _",
			"code "+strconv.Quote(code)+" may only hold lower-case Latin letters, digits and _")
	case duplicate:
		v.add(path()+field, CodeDuplicateCode, "код «"+code+"» указан дважды", "code "+strconv.Quote(code)+" is listed twice")
	}
}

func (v *problemList) name(path func() string, field, name string) {
	if strings.TrimSpace(name) == "" {
		v.add(path()+field, CodeMissing, "не указано название", "the name is missing")
	}
}

func (v *problemList) price(path func() string, field string, p Price) {
	switch {
	case p < 0:
		v.add(path()+field, CodeNegativePrice, "цена не может быть отрицательной", "a price cannot be negative")
	case p > MaxPrice:
		v.add(path()+field, CodeTooLarge, "цена больше 10 000 000 ₽", "the price is above 10 000 000 ₽")
	}
}

// prices checks a by-thickness price table. Only when something is wrong
// does it go through the thicknesses in ascending order, so the problems
// come out in a stable order.
func (v *problemList) prices(path func() string, field string, prices map[int]Price) {
	bad := false
	for t, p := range prices {
		bad = bad || t <= 0 || p < 0 || p > MaxPrice
	}
	if !bad {
		return
	}
	for _, t := range sortedKeys(prices) {
		tpath := path() + field + "[" + strconv.Quote(strconv.Itoa(t)) + "]"
		if t <= 0 {
			v.add(tpath, CodeOutOfRange, "толщина должна быть положительной", "a thickness must be positive")
		}
		v.price(top(tpath), "", prices[t])
	}
}

// coverage reports each thickness in need that prices lacks.
func (v *problemList) coverage(path func() string, field string, prices map[int]Price, need []int, ru, en string) {
	for _, t := range need {
		if _, ok := prices[t]; !ok {
			v.add(path()+field, CodeMissingPrice, ru+" "+strconv.Itoa(t)+" мм", en+" "+strconv.Itoa(t)+" mm")
		}
	}
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// material finds a material by code.
func (pl *PriceList) material(code string) (*Material, bool) {
	for i := range pl.Materials {
		if pl.Materials[i].Code == code {
			return &pl.Materials[i], true
		}
	}
	return nil, false
}

// edge finds an edge's prices by code.
func (pl *PriceList) edge(code Edge) (*EdgePrice, bool) {
	for i := range pl.Edges {
		if pl.Edges[i].Code == code {
			return &pl.Edges[i], true
		}
	}
	return nil, false
}

// hardware finds a hardware item by code.
func (pl *PriceList) hardware(code string) (*Hardware, bool) {
	for i := range pl.Hardware {
		if pl.Hardware[i].Code == code {
			return &pl.Hardware[i], true
		}
	}
	return nil, false
}

// holeBand returns the index of the band a hole of diameter d falls in, or
// -1 if it is larger than every band.
func (pl *PriceList) holeBand(d int) int {
	for i, b := range pl.Holes {
		if d <= b.MaxDiameterMM {
			return i
		}
	}
	return -1
}

// thicknesses lists the thicknesses a material is sold in, for messages.
func (m *Material) thicknesses() string {
	keys := sortedKeys(m.Prices)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strconv.Itoa(k)
	}
	return strings.Join(parts, ", ")
}
