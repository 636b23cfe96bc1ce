package smtptls

import (
	"errors"

	"github.com/mailhost-checks/mailchecks/internal/smtpdialog"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

var errNotOffered = errors.New("the server does not advertise STARTTLS")

// smtpKind refines the engine's classification with what only the SMTP
// dialogue raises: a refusing reply, the reader's bounds.
func smtpKind(pe *tlsjudge.PhaseError) tlsjudge.Kind {
	var reply *smtpdialog.ReplyError
	switch {
	case errors.As(pe.Err, &reply):
		return tlsjudge.KindRejected
	case errors.Is(pe.Err, smtpdialog.ErrLineTooLong), errors.Is(pe.Err, smtpdialog.ErrReplyTooLong):
		return tlsjudge.KindTooLong
	}
	return pe.Kind
}
