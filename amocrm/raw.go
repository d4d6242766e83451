package amocrm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// NewRequest builds a request for an endpoint the SDK has no method for. path is relative to the
// account ("api/v4/leads/loss_reasons" or "/api/v4/leads/loss_reasons") and may carry a query
// ("api/v4/tasks?filter[is_completed]=0"); an absolute URL is refused, so the token never leaves the
// account's host. body, when not nil, is sent as JSON. Send the request with Client.DoRequest.
func (c *Client) NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	if method == "" || strings.ContainsAny(method, " \r\n") {
		return nil, fmt.Errorf("amocrm: invalid method %q", method)
	}
	p, rawQuery, _ := strings.Cut(strings.TrimPrefix(path, "/"), "?")
	if strings.Contains(p, "#") || strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("amocrm: path %q must be a path on the account's host", path)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("amocrm: path %q: query: %w", path, err)
	}
	return c.newRequest(ctx, method, p, q, body)
}

// DoRequest sends a request built by NewRequest through the client's rate limiter, token source
// and retries, and decodes a JSON answer into out (nil to discard it). It reports whether amoCRM
// answered 204 No Content, which is success with no body (out is then left alone). An answer of
// 300 or more is an *Error, matched with errors.Is against ErrNotFound and the other sentinels.
//
// POST and PATCH are retried only when nothing reached amoCRM or it answered 429, as for every
// write of the SDK.
func (c *Client) DoRequest(req *http.Request, out any) (noContent bool, err error) {
	if req == nil {
		return false, errors.New("amocrm: nil request")
	}
	if req.URL == nil || req.URL.Scheme != c.baseURL.Scheme || req.URL.Host != c.baseURL.Host || req.URL.User != nil {
		return false, fmt.Errorf("amocrm: request to %s refused: the client sends its token to %s only", sanitizeURL(req.URL), c.baseURL.Host)
	}
	return c.do(req, out)
}

// Do calls an endpoint the SDK has no method for: NewRequest and DoRequest in one step. in, when
// not nil, is sent as JSON; a JSON answer is decoded into out (nil to discard it). A 204 answer is
// success and leaves out alone.
//
//	var reasons struct {
//		Embedded struct {
//			LossReasons []amocrm.LossReason `json:"loss_reasons"`
//		} `json:"_embedded"`
//	}
//	err := c.Do(ctx, http.MethodGet, "api/v4/leads/loss_reasons", nil, &reasons)
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	req, err := c.NewRequest(ctx, method, path, in)
	if err != nil {
		return err
	}
	_, err = c.DoRequest(req, out)
	return err
}
