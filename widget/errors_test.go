package widget

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWriteError(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	w.Header().Set("Content-Length", "999")
	WriteError(w, http.StatusUnprocessableEntity, "invalid_order", "the order has problems",
		FieldError{Path: "order.items[0].width_mm", Message: "must be positive"},
		FieldError{Path: "order.items[1].sku", Message: "unknown product \"<x>\""})
	assert.Equal(t, http.StatusUnprocessableEntity, w.Code)
	assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	assert.Empty(t, w.Header().Get("Content-Length"))
	assert.JSONEq(t, `{"error":{"code":"invalid_order","message":"the order has problems","fields":[
		{"path":"order.items[0].width_mm","message":"must be positive"},
		{"path":"order.items[1].sku","message":"unknown product \"<x>\""}]}}`, w.Body.String())

	w = httptest.NewRecorder()
	WriteError(w, http.StatusNotFound, "lead_not_found", "no such lead")
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Equal(t, "{\"error\":{\"code\":\"lead_not_found\",\"message\":\"no such lead\"}}\n", w.Body.String(),
		"fields are left out when there are none")
}
