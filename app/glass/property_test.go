package glass_test

import (
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/glass"
)

// orderGen makes random valid orders from a price list, with a fixed seed
// so failures reproduce.
type orderGen struct {
	pl  *glass.PriceList
	rnd *rand.Rand
}

func newOrderGen(pl *glass.PriceList, seed uint64) *orderGen {
	return &orderGen{pl: pl, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (g *orderGen) between(lo, hi int) int { return lo + g.rnd.IntN(hi-lo+1) }

func (g *orderGen) chance(percent int) bool { return g.rnd.IntN(100) < percent }

func (g *orderGen) piece() glass.Piece {
	m := g.pl.Materials[g.rnd.IntN(len(g.pl.Materials))]
	thicknesses := make([]int, 0, len(m.Prices))
	for t := range m.Prices {
		thicknesses = append(thicknesses, t)
	}
	slices.Sort(thicknesses) // map order is random; the seed must decide
	t := thicknesses[g.rnd.IntN(len(thicknesses))]
	long, short := g.between(glass.MinSideMM, glass.MaxLongSideMM), g.between(glass.MinSideMM, glass.MaxShortSideMM)
	if long < short {
		long, short = short, long
	}
	if g.chance(50) {
		long, short = short, long
	}
	p := glass.Piece{Material: m.Code, ThicknessMM: t, WidthMM: long, HeightMM: short, Quantity: g.between(1, 5)}
	if g.chance(5) {
		p.Quantity = g.between(1, glass.MaxPieceQuantity)
	}
	edges := []glass.Edge{glass.EdgeNone, "", glass.EdgeGrind, glass.EdgePolish}
	if t <= glass.MaxFacetThicknessMM {
		edges = append(edges, glass.EdgeFacet)
	}
	p.Edge = edges[g.rnd.IntN(len(edges))]
	p.Tempered = m.Kind.Temperable() && max(p.WidthMM, p.HeightMM) >= glass.MinTemperedLongSideMM && g.chance(50)
	for range g.between(0, 4) {
		p.Holes = append(p.Holes, g.between(t, glass.MaxHoleDiameterMM))
	}
	p.Cutouts = g.between(0, 3)
	p.RoundedCorners = g.between(0, glass.MaxRoundedCorners)
	return p
}

func (g *orderGen) order() glass.Order {
	var o glass.Order
	for range g.between(1, 6) {
		o.Pieces = append(o.Pieces, g.piece())
	}
	for _, i := range g.rnd.Perm(len(g.pl.Hardware))[:g.between(0, 3)] {
		o.Hardware = append(o.Hardware, glass.HardwareItem{Code: g.pl.Hardware[i].Code, Count: g.between(1, glass.MaxHardwareCount)})
	}
	o.Installation, o.Delivery, o.Urgent = g.chance(50), g.chance(50), g.chance(30)
	if g.chance(50) {
		o.DiscountPercent = g.between(0, glass.MaxDiscountPercent)
	}
	return o
}

const propertyRuns = 2000

func TestProperties(t *testing.T) {
	t.Parallel()
	pl := glass.DefaultPriceList()
	gen := newOrderGen(pl, 2025)
	for i := range propertyRuns {
		o := gen.order()
		q, err := pl.Quote(o)
		require.NoError(t, err, "order %d: %+v", i, o)

		// Never negative: every line but the discount, and the total.
		var sum, beforeDiscount, discount int64
		for _, l := range q.Lines {
			sum += l.Amount
			if l.Code == glass.CodeDiscount {
				discount = -l.Amount
				continue
			}
			beforeDiscount += l.Amount
			assert.GreaterOrEqual(t, l.Amount, int64(0), l.Code)
			assert.Positive(t, l.Quantity, l.Code)
		}
		assert.GreaterOrEqual(t, q.Total, int64(0))

		// The total is the sum of the lines; the deal price is the total
		// rounded half-up to the rouble.
		assert.Equal(t, sum, q.Total)
		assert.Equal(t, (q.Total+50)/100, q.LeadPrice)

		// A discount never exceeds 30 % (plus half a kopeck of rounding),
		// and is exactly the percentage asked for, rounded half-up.
		assert.LessOrEqual(t, 100*discount, 30*beforeDiscount+50)
		want := new(big.Rat).SetFrac64(int64(o.DiscountPercent)*beforeDiscount, 100)
		assert.Equal(t, ratHalfUp(want), discount)

		// The same order always gives the same quote.
		again, err := pl.Quote(o)
		require.NoError(t, err)
		assert.Equal(t, q, again)
		if t.Failed() {
			t.Fatalf("order %d: %+v", i, o)
		}
	}
}

// ratHalfUp rounds a non-negative rational half-up, independently of the
// package's own rounding.
func ratHalfUp(r *big.Rat) int64 {
	twice := new(big.Rat).Mul(r, big.NewRat(2, 1))
	twice.Add(twice, big.NewRat(1, 1))
	q := new(big.Int).Quo(twice.Num(), new(big.Int).Mul(twice.Denom(), big.NewInt(2)))
	return q.Int64()
}

// TestProperty_linesExact recomputes every line amount from the order with
// big rationals: quantity × unit price, rounded half-up.
func TestProperty_linesExact(t *testing.T) {
	t.Parallel()
	pl := glass.DefaultPriceList()
	gen := newOrderGen(pl, 99)
	for range propertyRuns / 4 {
		q, err := pl.Quote(gen.order())
		require.NoError(t, err)
		for _, l := range q.Lines {
			exact := new(big.Rat).SetFrac64(int64(l.Quantity), 1_000_000)
			exact.Mul(exact, new(big.Rat).SetInt64(l.UnitPrice))
			if exact.Sign() < 0 {
				assert.Equal(t, -ratHalfUp(exact.Neg(exact)), l.Amount, l.Code)
			} else {
				assert.Equal(t, ratHalfUp(exact), l.Amount, l.Code)
			}
		}
	}
}

// TestProperty_largerPieceCostsMore grows one side of one piece and checks
// that neither the total nor the deal price goes down.
func TestProperty_largerPieceCostsMore(t *testing.T) {
	t.Parallel()
	pl := glass.DefaultPriceList()
	gen := newOrderGen(pl, 4242)
	for i := range propertyRuns {
		o := gen.order()
		q, err := pl.Quote(o)
		require.NoError(t, err)

		bigger := o
		bigger.Pieces = slices.Clone(o.Pieces)
		k := gen.rnd.IntN(len(bigger.Pieces))
		pc := &bigger.Pieces[k]
		grow := gen.between(1, 500)
		// Grow the width if the piece still fits the sheet, else the height.
		if fits(pc.WidthMM+grow, pc.HeightMM) {
			pc.WidthMM += grow
		} else if fits(pc.WidthMM, pc.HeightMM+grow) {
			pc.HeightMM += grow
		} else {
			continue
		}
		qb, err := pl.Quote(bigger)
		require.NoError(t, err)
		require.GreaterOrEqual(t, qb.Total, q.Total, "order %d: piece %d grown by %d mm", i, k, grow)
		require.GreaterOrEqual(t, qb.LeadPrice, q.LeadPrice)
	}
}

func fits(w, h int) bool {
	return max(w, h) <= glass.MaxLongSideMM && min(w, h) <= glass.MaxShortSideMM
}
