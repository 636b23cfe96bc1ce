package smtpdialog

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
)

// ChooseMechanism picks the mechanism Auth should use from what EHLO over
// TLS advertised: PLAIN (one round trip), else LOGIN; "" when neither is
// offered.
func ChooseMechanism(ext Extensions) string {
	for _, m := range []string{"PLAIN", "LOGIN"} {
		if slices.Contains(ext.Auth, m) {
			return m
		}
	}
	return ""
}

// authPlain sends the credentials as the initial response (RFC 4954 4,
// RFC 4616: authzid empty, NUL, user, NUL, password).
func (c *Client) authPlain(ctx context.Context, user, password string) (Reply, error) {
	if strings.ContainsRune(user, 0) || strings.ContainsRune(password, 0) {
		return Reply{}, fmt.Errorf("%w: NUL in user or password", ErrBadArgument)
	}
	ir := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	rep, err := c.command(ctx, "AUTH PLAIN "+ir, "AUTH PLAIN ***")
	if err != nil {
		return rep, err
	}
	if rep.Code == 334 {
		// A server that ignored the initial response and asks again:
		// cancel (RFC 4954 4) rather than guess what it wants.
		return c.cancelAuth(ctx, "AUTH PLAIN")
	}
	return rep, authResult("AUTH PLAIN", rep)
}

// authLogin answers the two 334 prompts (user name, password) with base64.
func (c *Client) authLogin(ctx context.Context, user, password string) (Reply, error) {
	rep, err := c.command(ctx, "AUTH LOGIN", "AUTH LOGIN")
	for i, answer := range []string{user, password} {
		if err != nil {
			return rep, err
		}
		if rep.Code != 334 {
			return rep, authResult("AUTH LOGIN", rep)
		}
		shown := "*** (user name)"
		if i == 1 {
			shown = "*** (password)"
		}
		rep, err = c.command(ctx, base64.StdEncoding.EncodeToString([]byte(answer)), shown)
	}
	if err != nil {
		return rep, err
	}
	if rep.Code == 334 {
		return c.cancelAuth(ctx, "AUTH LOGIN")
	}
	return rep, authResult("AUTH LOGIN", rep)
}

// cancelAuth answers a challenge the exchange does not expect with "*" and
// reports the exchange as refused.
func (c *Client) cancelAuth(ctx context.Context, command string) (Reply, error) {
	rep, err := c.command(ctx, "*", "*")
	if err != nil {
		return rep, err
	}
	return rep, &ReplyError{Command: command + " (unexpected challenge, cancelled)", Reply: rep}
}

// authResult is nil for 235 (RFC 4954 6), else the refusal.
func authResult(command string, rep Reply) error {
	if rep.Code == 235 {
		return nil
	}
	return &ReplyError{Command: command, Reply: rep}
}
