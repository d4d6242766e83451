package glass

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRoundHalfUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		q     Decimal
		price int64
		want  int64
	}{
		{"exact", 1_800_000, 230000, 414000},                // 1.8 × 2300.00 = 4140.00
		{"half rounds up", 550_550, 110000, 60561},          // 0.55055 × 1100.00 = 605.605
		{"half rounds up on an even kopeck", 500_000, 1, 1}, // 0.5 → 1, where half-even gives 0
		{"just under half rounds down", 499_999, 1, 0},
		{"just over half rounds up", 1_500_001, 1, 2},
		{"percent", 300_000, 27555, 8267},                         // 30 % of 275.55 = 82.665
		{"kopecks to roubles", 10_000, 28050, 281},                // 280.50 ₽ → 281 ₽
		{"kopecks to roubles below half", 10_000, 28149, 281},     // 281.49 ₽ → 281 ₽
		{"negative price rounds away from zero", 500_000, -1, -1}, // −0.5 → −1
		{"negative quantity", -1_500_000, 3, -5},                  // −4.5 → −5
		{"zero", 0, 123456, 0},
		// Beyond 64 bits in the intermediate product: 3.6e11 × 1e10 = 3.6e21.
		{"wide product", 360_000_000_000, 10_000_000_000, 3_600_000_000_000_000},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, roundHalfUp(tt.q, tt.price), tt.name)
	}
	assert.Panics(t, func() { roundHalfUp(math.MaxInt64, math.MaxInt64) })
	assert.Panics(t, func() { roundHalfUp(DecimalFromInt(2), math.MaxInt64) })
}
