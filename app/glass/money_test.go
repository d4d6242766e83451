package glass_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/glass"
)

func TestFormatKopecks(t *testing.T) {
	t.Parallel()
	for k, want := range map[int64]string{
		1720400:       "17 204,00 ₽",
		0:             "0,00 ₽",
		5:             "0,05 ₽",
		99999:         "999,99 ₽",
		100000:        "1 000,00 ₽",
		-192040:       "-1 920,40 ₽",
		123456789012:  "1 234 567 890,12 ₽",
		math.MinInt64: "-92 233 720 368 547 758,08 ₽",
	} {
		assert.Equal(t, want, glass.FormatKopecks(k), k)
	}
}

func TestFormatRoubles(t *testing.T) {
	t.Parallel()
	for r, want := range map[int64]string{17204: "17 204 ₽", 0: "0 ₽", 999: "999 ₽", 1000000: "1 000 000 ₽", -1500: "-1 500 ₽"} {
		assert.Equal(t, want, glass.FormatRoubles(r), r)
	}
}

func TestDecimal(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]glass.Decimal{
		"1.8": 1_800_000, "5.8": 5_800_000, "2": 2_000_000, "0.699678": 699_678,
		"0.25": 250_000, "-0.5": -500_000, "0": 0, "7222.5": 7_222_500_000, "0.000001": 1,
	} {
		got, err := glass.ParseDecimal(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
		assert.Equal(t, s, want.String())
		data, err := json.Marshal(want)
		require.NoError(t, err)
		assert.Equal(t, s, string(data))
		var back glass.Decimal
		require.NoError(t, json.Unmarshal(data, &back))
		assert.Equal(t, want, back)
	}
	for _, s := range []string{"", "-", "1.", ".5", "1e3", "0.0000001", "1,5", "+1", "abc", "99999999999999999"} {
		_, err := glass.ParseDecimal(s)
		assert.Error(t, err, s)
	}
	assert.Equal(t, glass.Decimal(3_000_000), glass.DecimalFromInt(3))
}
