package amocrm

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTimestampDecoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64 // Unix seconds; 0 for the zero Timestamp
		bad  bool
	}{
		{in: `1700000000`, want: 1700000000},
		{in: `"1700000000"`, want: 1700000000},
		{in: `1700000000.0`, want: 1700000000},
		{in: `0`},
		{in: `"0"`},
		{in: `null`},
		{in: `""`},
		{in: `"yesterday"`, bad: true},
		{in: `1.5`, bad: true},
		{in: `true`, bad: true},
		{in: `"2024-01-01T00:00:00Z"`, bad: true},
	}
	for _, tt := range tests {
		var ts Timestamp
		err := json.Unmarshal([]byte(tt.in), &ts)
		if tt.bad {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		if tt.want == 0 {
			assert.True(t, ts.IsZero(), tt.in)
		} else {
			assert.Equal(t, tt.want, ts.Unix(), tt.in)
		}
	}
}

func TestTimestampEncodingAndOmitzero(t *testing.T) {
	t.Parallel()
	type item struct {
		Created Timestamp `json:"created_at,omitzero"`
		Closed  Timestamp `json:"closed_at"`
	}
	b, err := json.Marshal(item{Created: At(time.Unix(1700000000, 999))})
	require.NoError(t, err)
	assert.JSONEq(t, `{"created_at":1700000000,"closed_at":null}`, string(b))
	b, err = json.Marshal(item{})
	require.NoError(t, err)
	assert.JSONEq(t, `{"closed_at":null}`, string(b))
	assert.True(t, Unix(0).IsZero())
	assert.Equal(t, "2023-11-14T22:13:20Z", Unix(1700000000).String())
}
