package imaptls

import (
	"context"
	"errors"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// The IMAP dialogue's phases, in dialogue order, between the shared ones
// (DNS, connect, TLS handshake: see tlsjudge).
const (
	PhaseGreeting   tlsjudge.Phase = "greeting"
	PhaseCapability tlsjudge.Phase = "CAPABILITY"
	PhaseStartTLS   tlsjudge.Phase = "STARTTLS"
	PhaseLogin      tlsjudge.Phase = "LOGIN"
	PhaseSelect     tlsjudge.Phase = "SELECT"
	PhaseLogout     tlsjudge.Phase = "LOGOUT"
)

// phaseError classifies err as the engine does, and an IMAP NO, BAD or BYE
// answer as a refusal.
func phaseError(ctx context.Context, phase tlsjudge.Phase, err error, started time.Time) *tlsjudge.PhaseError {
	pe := tlsjudge.Classify(ctx, phase, err, started)
	var status *StatusError
	if errors.As(err, &status) {
		pe.Kind = tlsjudge.KindRejected
	}
	return pe
}
