// Package proposaltest holds helpers for tests that post the proposal settings page.
package proposaltest

import (
	"bytes"
	"mime/multipart"
	"testing"

	"github.com/stretchr/testify/require"
)

// SettingsForm builds the settings page's multipart form from fields and, when logo is not nil,
// a logo file under a non-ASCII name, as people name their files. It returns the form's content
// type and body.
func SettingsForm(t testing.TB, fields map[string]string, logo []byte) (string, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	if logo != nil {
		fw, err := mw.CreateFormFile("logo", "фото.png")
		require.NoError(t, err)
		_, err = fw.Write(logo)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return mw.FormDataContentType(), body.Bytes()
}
