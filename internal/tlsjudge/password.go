package tlsjudge

import (
	"fmt"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/regfile"
)

// ReadPassword is the password for --login user: the first line of file,
// else fromOpts (password = in an --extra-opts file), else the environment
// variable env; "" without a login. Never from argv: other users see argv
// in ps.
func ReadPassword(login, file, fromOpts, env string, getenv func(string) string) (string, error) {
	if login == "" {
		return "", nil
	}
	if file != "" {
		b, err := regfile.Read(file, regfile.DefaultMax)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		pw, _, _ := strings.Cut(string(b), "\n")
		pw = strings.TrimSuffix(pw, "\r")
		if pw == "" {
			return "", fmt.Errorf("--password-file %s: the first line is empty", file)
		}
		return pw, nil
	}
	if fromOpts != "" {
		return fromOpts, nil
	}
	if pw := getenv(env); pw != "" {
		return pw, nil
	}
	return "", fmt.Errorf("--login %s needs a password: --password-file FILE or the %s environment variable", login, env)
}
