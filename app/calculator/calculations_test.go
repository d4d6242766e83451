package calculator_test

import (
	"testing"

	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/calculator/calculatortest"
)

func TestMemoryCalculationsContract(t *testing.T) {
	t.Parallel()
	calculatortest.Run(t, func(t *testing.T) calculator.CalculationStore { return calculator.NewMemoryCalculations() })
}

func TestMemoryCatalogIndexContract(t *testing.T) {
	t.Parallel()
	calculatortest.RunCatalogIndex(t, func(t *testing.T) calculator.CatalogIndex { return calculator.NewMemoryCalculations() })
}
