package refreshtest

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gatedListener accepts nothing until open is closed: connections wait in the listen queue, as
// they do while a busy server has not got round to accepting them.
type gatedListener struct {
	net.Listener
	open chan struct{}
}

func (l gatedListener) Accept() (net.Conn, error) {
	<-l.open
	return l.Listener.Accept()
}

// TestQuietWaitsForConnectionsNotYetAccepted: a process connects, sends a token request and dies
// before the server has accepted its connection. The fake is not quiet until that request has
// been served.
func TestQuietWaitsForConnectionsNotYetAccepted(t *testing.T) {
	t.Parallel()
	open := make(chan struct{})
	f := newFake(func(l net.Listener) net.Listener { return gatedListener{l, open} }, "acme", "https://harness.example.com/oauth/callback")
	t.Cleanup(f.Close)
	opened := false
	t.Cleanup(func() {
		if !opened {
			close(open)
		}
	})

	conn, err := net.Dial("tcp", f.srv.Listener.Addr().String())
	require.NoError(t, err)
	body := `{"grant_type":"refresh_token","refresh_token":"def50200dead","client_id":"x","client_secret":"y"}`
	_, err = io.WriteString(conn, "POST "+TokenPath+" HTTP/1.1\r\nHost: "+f.Account.Host+"\r\nContent-Type: application/json\r\n"+
		"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
	require.NoError(t, err)
	require.NoError(t, conn.Close()) // the process is gone

	quiet := f.Quiet()
	select {
	case <-quiet:
		t.Fatal("quiet while a connection with a request waits to be accepted")
	default:
	}
	close(open)
	opened = true
	select {
	case <-quiet:
	case <-time.After(30 * time.Second):
		t.Fatal("never quiet")
	}
	grants := f.Grants()
	require.Len(t, grants, 1, "the request was served before the fake was quiet")
	assert.Equal(t, http.StatusUnauthorized, grants[0].Status, "an unknown client")
}
