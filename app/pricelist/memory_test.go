package pricelist_test

import (
	"testing"

	"github.com/amokit/amokit/app/pricelist"
	"github.com/amokit/amokit/app/pricelist/pricelisttest"
)

func TestMemoryContract(t *testing.T) {
	t.Parallel()
	pricelisttest.Run(t, func(*testing.T) pricelist.Store { return pricelist.NewMemory() })
}
